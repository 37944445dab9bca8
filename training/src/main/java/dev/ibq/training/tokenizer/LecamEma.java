package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Exponential moving averages of mean D(real) and mean D(fake) for the LeCAM regulariser
 * ({@link TokenizerLosses#lecamRegularizer}). Both start at 0 (as in the reference) and move with decay
 * {@link TokenizerLosses#LECAM_DECAY}: ema = decay * ema + (1 - decay) * mean(logits). Mutable; checkpoint it
 * with {@link #realEma()} / {@link #fakeEma()} and restore with {@link #restore}.
 */
public final class LecamEma {

  private final double decay;
  private double realEma;
  private double fakeEma;

  public LecamEma() {
    this(TokenizerLosses.LECAM_DECAY);
  }

  public LecamEma(double decay) {
    if (!(decay >= 0 && decay < 1)) {
      throw new IllegalArgumentException("The LeCAM EMA decay must be in [0, 1); got " + decay + ".");
    }
    this.decay = decay;
  }

  /** Folds this batch's mean discriminator outputs into the averages (values only, no gradient). */
  public void update(NDArray logitsReal, NDArray logitsFake) {
    realEma = decay * realEma + (1 - decay) * logitsReal.mean().toType(DataType.FLOAT64, false).getDouble();
    fakeEma = decay * fakeEma + (1 - decay) * logitsFake.mean().toType(DataType.FLOAT64, false).getDouble();
  }

  public double realEma() {
    return realEma;
  }

  public double fakeEma() {
    return fakeEma;
  }

  public double decay() {
    return decay;
  }

  /** Restores the averages from a checkpoint. */
  public void restore(double realEma, double fakeEma) {
    this.realEma = realEma;
    this.fakeEma = fakeEma;
  }
}
