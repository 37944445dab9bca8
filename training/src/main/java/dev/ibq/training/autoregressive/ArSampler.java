package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Draws token grids from a {@link Transformer}, one token per step in raster order, with a KV cache and
 * classifier-free guidance (IBQ.md: the conditional and null-class rows run as one batch, logits = u + s (c - u)),
 * temperature, and optional top-k / top-p filtering.
 *
 * <p>Shapes: R requested rows; with guidance the model runs 2R rows (R conditional, then R null-class); each
 * step yields (rows, 1, K) logits.
 */
public final class ArSampler {

  private ArSampler() {}

  /**
   * The sampled grids.
   *
   * @param tokens (R, N) sampled token ids in raster order
   * @param labels the R class labels
   * @param seconds wall time of the sampling loop
   * @param stepLogits when requested, the guided logits of every step, (N) x (R, K); otherwise empty
   */
  public record Result(int[][] tokens, int[] labels, double seconds, List<float[][]> stepLogits) {
    /** Tokens produced per second (all rows together). */
    public double tokensPerSecond() {
      return tokens.length * (double) (tokens.length == 0 ? 0 : tokens[0].length) / seconds;
    }
  }

  /** Samples one grid per entry of {@code labels}. */
  public static Result sample(Transformer model, int[] labels, SamplingOptions options) {
    return sample(model, labels, options, false);
  }

  /** As {@link #sample(Transformer, int[], SamplingOptions)}; optionally records each step's guided logits. */
  public static Result sample(Transformer model, int[] labels, SamplingOptions options, boolean recordLogits) {
    ArConfig config = model.config();
    for (int label : labels) {
      if (label < 0 || label > config.numClasses()) {
        throw new IllegalArgumentException(
            "Class label " + label + " is outside [0, " + config.numClasses() + "] (the last is the null class).");
      }
    }
    int rows = labels.length;
    int n = config.sequenceLength();
    boolean guided = options.guided();
    long[] modelLabels = new long[guided ? 2 * rows : rows];
    for (int r = 0; r < rows; r++) {
      modelLabels[r] = labels[r];
      if (guided) {
        modelLabels[rows + r] = config.nullClass();
      }
    }
    int[][] tokens = new int[rows][n];
    List<float[][]> recorded = new ArrayList<>();
    Random random = new Random(options.seed());
    NDManager manager = model.manager();
    long startNanos = System.nanoTime();
    try (KvCache cache = new KvCache(config.nLayers())) {
      for (int step = 0; step < n; step++) {
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          NDArray labelArray = manager.create(modelLabels);
          NDArray logits; // (rows', 1, K)
          if (options.useKvCache()) {
            NDArray last = step == 0 ? null : manager.create(lastColumn(tokens, step, guided), new Shape(modelLabels.length, 1));
            logits = model.step(last, labelArray, cache);
          } else {
            NDArray prefix =
                step == 0
                    ? null
                    : manager.create(prefixTokens(tokens, step, guided), new Shape(modelLabels.length, step));
            NDArray all = model.forward(prefix, labelArray, false); // (rows', step + 1, K)
            logits = all.get(new NDIndex(":, {}:{}", step, step + 1));
          }
          float[][] rowLogits = guide(toRows(logits), rows, guided ? options.cfgScale() : 1f, guided);
          if (recordLogits) {
            recorded.add(rowLogits);
          }
          for (int r = 0; r < rows; r++) {
            tokens[r][step] = drawToken(rowLogits[r], options, random);
          }
        }
      }
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    return new Result(tokens, labels.clone(), seconds, recorded);
  }

  /**
   * Guided next-token logits for teacher-forced prefixes, computed by batching the conditional and null-class
   * rows in one pass, as sampling does: {@code u + s (c - u)}. Used to check that s = 1 gives the conditional
   * logits. tokens (R, l) -> (R, K).
   */
  public static float[][] guidedLogits(Transformer model, int[][] prefixes, int[] labels, float scale) {
    int rows = labels.length;
    int length = prefixes[0].length;
    long[] flat = new long[2 * rows * length];
    long[] modelLabels = new long[2 * rows];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < length; i++) {
        flat[r * length + i] = prefixes[r][i];
        flat[(rows + r) * length + i] = prefixes[r][i];
      }
      modelLabels[r] = labels[r];
      modelLabels[rows + r] = model.config().nullClass();
    }
    NDManager manager = model.manager();
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray all =
          model.forward(manager.create(flat, new Shape(2L * rows, length)), manager.create(modelLabels), false);
      NDArray last = all.get(new NDIndex(":, {}:{}", length, length + 1)); // (2R, 1, K)
      return guide(toRows(last), rows, scale, true);
    }
  }

  /** Combines (2R, K) rows into (R, K) guided rows u + s (c - u); without guidance returns the rows. */
  static float[][] guide(float[][] rowsIn, int rows, float scale, boolean guided) {
    if (!guided) {
      return rowsIn;
    }
    float[][] out = new float[rows][];
    for (int r = 0; r < rows; r++) {
      float[] c = rowsIn[r];
      float[] u = rowsIn[rows + r];
      float[] g = new float[c.length];
      for (int k = 0; k < c.length; k++) {
        g[k] = u[k] + scale * (c[k] - u[k]);
      }
      out[r] = g;
    }
    return out;
  }

  /**
   * Draws one token from logits: divide by the temperature, keep the top k, keep the nucleus of mass p, then
   * sample from the softmax. Temperature 0 returns the argmax.
   */
  static int drawToken(float[] logits, SamplingOptions options, Random random) {
    int k = logits.length;
    if (options.temperature() == 0f) {
      int best = 0;
      for (int i = 1; i < k; i++) {
        if (logits[i] > logits[best]) {
          best = i;
        }
      }
      return best;
    }
    double[] scaled = new double[k];
    for (int i = 0; i < k; i++) {
      scaled[i] = logits[i] / options.temperature();
    }
    Integer[] order = new Integer[k];
    for (int i = 0; i < k; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(scaled[b], scaled[a])); // most likely first
    int keep = options.topK() > 0 ? Math.min(options.topK(), k) : k;
    double max = scaled[order[0]];
    double[] probs = new double[keep];
    double total = 0;
    for (int i = 0; i < keep; i++) {
      probs[i] = Math.exp(scaled[order[i]] - max);
      total += probs[i];
    }
    if (options.topP() < 1f) {
      double mass = 0;
      int nucleus = 0;
      while (nucleus < keep) {
        mass += probs[nucleus] / total;
        nucleus++;
        if (mass >= options.topP()) {
          break;
        }
      }
      keep = nucleus;
      total = 0;
      for (int i = 0; i < keep; i++) {
        total += probs[i];
      }
    }
    double u = random.nextDouble() * total;
    for (int i = 0; i < keep; i++) {
      u -= probs[i];
      if (u <= 0) {
        return order[i];
      }
    }
    return order[keep - 1];
  }

  private static float[][] toRows(NDArray logits) {
    Shape shape = logits.getShape(); // (rows', 1, K)
    int rows = Math.toIntExact(shape.get(0));
    int k = Math.toIntExact(shape.get(2));
    float[] flat = logits.toFloatArray();
    float[][] out = new float[rows][k];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(flat, r * k, out[r], 0, k);
    }
    return out;
  }

  private static long[] lastColumn(int[][] tokens, int step, boolean guided) {
    int rows = tokens.length;
    long[] out = new long[guided ? 2 * rows : rows];
    for (int r = 0; r < rows; r++) {
      out[r] = tokens[r][step - 1];
      if (guided) {
        out[rows + r] = tokens[r][step - 1];
      }
    }
    return out;
  }

  private static long[] prefixTokens(int[][] tokens, int step, boolean guided) {
    int rows = tokens.length;
    long[] out = new long[(guided ? 2 * rows : rows) * step];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < step; i++) {
        out[r * step + i] = tokens[r][i];
        if (guided) {
          out[(rows + r) * step + i] = tokens[r][i];
        }
      }
    }
    return out;
  }
}
