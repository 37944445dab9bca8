package dev.ibq.training.tokenizer.train;

import java.util.List;

/**
 * Adam settings, shared by the generator (encoder, quantizer incl. codebook, decoder) and the
 * discriminator, each with its own moments.
 *
 * @param learningRate constant learning rate (IBQ: 1e-4, no schedule)
 * @param beta1 first-moment decay (IBQ: 0.5)
 * @param beta2 second-moment decay (IBQ: 0.9)
 * @param epsilon added to the root of the second moment (PyTorch's default 1e-8)
 * @param weightDecay decoupled (AdamW) weight decay of every tensor (IBQ: 0)
 * @param codebookLrScale multiplies the learning rate of the codebook C only (IBQ: 1, the paper's recipe).
 *     NOTE: not in the paper. It exists for the named remedy variant of the utilization benchmark: with Adam
 *     every parameter moves at most about lr per step, so in a short CPU run (hundreds of steps at 1e-4) an
 *     N(0, 1) codebook barely moves from its initialisation, while the paper's runs last hundreds of thousands
 *     of steps. Scaling the codebook's rate alone gives it the travel of a longer schedule.
 * @param lrDropSteps steps after which the learning rate is multiplied by {@code lrDropFactor}, ascending (the
 *     paper drops x0.1 at the end of epochs 250 and 300 of 330; empty = a constant rate)
 * @param lrDropFactor the multiplier applied at each drop (IBQ: 0.1)
 */
public record OptimizerSettings(
    double learningRate,
    double beta1,
    double beta2,
    double epsilon,
    double weightDecay,
    double codebookLrScale,
    List<Integer> lrDropSteps,
    double lrDropFactor) {

  public OptimizerSettings {
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learning_rate is " + learningRate + "; it must be positive.");
    }
    if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) {
      throw new IllegalArgumentException("beta1 and beta2 are " + beta1 + " and " + beta2 + "; both must lie in [0, 1).");
    }
    if (!(epsilon > 0) || weightDecay < 0) {
      throw new IllegalArgumentException("epsilon must be positive and weight_decay non-negative.");
    }
    if (!(codebookLrScale > 0)) {
      throw new IllegalArgumentException("codebook_lr_scale is " + codebookLrScale + "; it must be positive (1 = the paper).");
    }
    lrDropSteps = lrDropSteps == null ? List.of() : List.copyOf(lrDropSteps);
    for (int i = 0; i < lrDropSteps.size(); i++) {
      if (lrDropSteps.get(i) <= 0 || (i > 0 && lrDropSteps.get(i) <= lrDropSteps.get(i - 1))) {
        throw new IllegalArgumentException(
            "lr_drop_steps is " + lrDropSteps + "; it must list positive steps in ascending order, e.g. [2500, 3000].");
      }
    }
    if (!(lrDropFactor > 0 && lrDropFactor <= 1)) {
      throw new IllegalArgumentException("lr_drop_factor is " + lrDropFactor + "; it must lie in (0, 1] (the paper: 0.1).");
    }
  }

  /** Settings without a learning-rate schedule (constant rate), as before the schedule existed. */
  public OptimizerSettings(
      double learningRate, double beta1, double beta2, double epsilon, double weightDecay, double codebookLrScale) {
    this(learningRate, beta1, beta2, epsilon, weightDecay, codebookLrScale, List.of(), 0.1);
  }

  /**
   * The learning rate of the update made at {@code step} (0-based): the base rate times {@code lrDropFactor}
   * for every drop step at or before it (a drop at S applies from update S on, i.e. after S updates).
   */
  public double learningRateAt(long step) {
    double lr = learningRate;
    for (int drop : lrDropSteps) {
      if (step >= drop) {
        lr *= lrDropFactor;
      }
    }
    return lr;
  }

  /** These settings with a different learning-rate schedule. */
  public OptimizerSettings withLrDrops(List<Integer> steps) {
    return new OptimizerSettings(learningRate, beta1, beta2, epsilon, weightDecay, codebookLrScale, steps, lrDropFactor);
  }

  /**
   * The paper's optimiser: Adam (0.5, 0.9), lr 1e-4, no weight decay, x0.1 drops (set per preset with
   * {@link #withLrDrops}: the paper's are at the end of epochs 250 and 300 of 330).
   */
  public static OptimizerSettings paper() {
    return new OptimizerSettings(1e-4, 0.5, 0.9, 1e-8, 0.0, 1.0);
  }
}
