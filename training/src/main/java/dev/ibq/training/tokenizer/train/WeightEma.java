package dev.ibq.training.tokenizer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An exponential moving average of ALL generator weights, kept in the tensors of a second model (the
 * "EMA model"), which evaluation, figures, checkpoints' export weights and the exporter use.
 *
 * <p>After each optimiser step: {@code shadow = d * shadow + (1 - d) * weight} for every tensor of the
 * state dict, with the FIXED decay d of the paper (IBQ.md), or, as a named option ({@code ema_warmup}),
 * {@code d = min(decay, (1 + n) / (10 + n))} at update n (taming's {@code LitEma} warm-up), so the first
 * updates follow the weights quickly. Non-float tensors are copied.
 */
public final class WeightEma {

  private final double decay;
  private final boolean warmup;
  private final Map<String, NDArray> shadow;
  private long updates;

  /**
   * @param shadow the live state dict of the EMA model; it is initialised to {@code weights}
   */
  public WeightEma(double decay, boolean warmup, Map<String, NDArray> shadow, Map<String, NDArray> weights) {
    this.decay = decay;
    this.warmup = warmup;
    this.shadow = new LinkedHashMap<>(shadow);
    if (!shadow.keySet().equals(weights.keySet())) {
      throw new IllegalArgumentException("The EMA model and the trained model have different state-dict keys; build both from the same architecture.");
    }
    copy(weights);
  }

  /** The decay used at the next update. */
  public double currentDecay() {
    return warmup ? Math.min(decay, (1.0 + updates) / (10.0 + updates)) : decay;
  }

  /** Folds the current weights into the average. */
  public void update(Map<String, NDArray> weights, NDManager scratchParent) {
    double d = currentDecay();
    try (NDManager scratch = scratchParent.newSubManager()) {
      for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
        NDArray target = e.getValue();
        NDArray source = weights.get(e.getKey());
        if (!target.getDataType().isFloating()) {
          target.set(source.toByteBuffer());
          continue;
        }
        NDArray scaled = source.mul(1 - d);
        scaled.attach(scratch);
        target.muli(d).addi(scaled);
      }
    }
    updates++;
  }

  /** Sets every shadow tensor to the given weights (start, or a restored checkpoint). */
  public void copy(Map<String, NDArray> weights) {
    for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
      e.getValue().set(weights.get(e.getKey()).toByteBuffer());
    }
  }

  public long updates() {
    return updates;
  }

  public void restoreUpdates(long n) {
    this.updates = n;
  }

  public double decay() {
    return decay;
  }
}
