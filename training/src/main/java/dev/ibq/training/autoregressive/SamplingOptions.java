package dev.ibq.training.autoregressive;

/**
 * How {@link ArSampler} draws tokens.
 *
 * @param cfgScale classifier-free guidance scale s: logits = u + s (c - u); 1 disables guidance (no null rows)
 * @param temperature softmax temperature; 0 means greedy (argmax)
 * @param topK keep only the k most likely tokens (0 = off; not in the paper, offered as an option)
 * @param topP keep the smallest set of tokens whose probability reaches p (1 = off; not in the paper)
 * @param seed seed of the sampling random generator
 * @param useKvCache run each step on the new token only (true) or recompute the whole prefix (false)
 */
public record SamplingOptions(
    float cfgScale, float temperature, int topK, float topP, long seed, boolean useKvCache) {

  public SamplingOptions {
    if (cfgScale < 0) {
      throw new IllegalArgumentException("The guidance scale must be >= 0, got " + cfgScale + ".");
    }
    if (temperature < 0) {
      throw new IllegalArgumentException("The temperature must be >= 0 (0 = greedy), got " + temperature + ".");
    }
    if (topK < 0) {
      throw new IllegalArgumentException("top-k must be >= 0 (0 = off), got " + topK + ".");
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top-p must be in (0, 1] (1 = off), got " + topP + ".");
    }
  }

  /** Paper-style defaults: guidance 2.0, temperature 1.0, no top-k/top-p, KV cache on. */
  public static SamplingOptions defaults(long seed) {
    return new SamplingOptions(2.0f, 1.0f, 0, 1.0f, seed, true);
  }

  public boolean guided() {
    return cfgScale != 1f;
  }

  public SamplingOptions withCfgScale(float scale) {
    return new SamplingOptions(scale, temperature, topK, topP, seed, useKvCache);
  }

  public SamplingOptions withKvCache(boolean cache) {
    return new SamplingOptions(cfgScale, temperature, topK, topP, seed, cache);
  }
}
