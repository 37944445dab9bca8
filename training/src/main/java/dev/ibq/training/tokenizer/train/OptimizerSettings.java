package dev.ibq.training.tokenizer.train;

/**
 * Adam settings, shared by the generator (encoder, quantizer incl. codebook, decoder) and the
 * discriminator, each with its own moments.
 *
 * @param learningRate constant learning rate (IBQ: 1e-4, no schedule)
 * @param beta1 first-moment decay (IBQ: 0.5)
 * @param beta2 second-moment decay (IBQ: 0.9)
 * @param epsilon added to the root of the second moment (PyTorch's default 1e-8)
 * @param weightDecay L2 weight decay (IBQ: 0)
 * @param codebookLrScale multiplies the learning rate of the codebook C only (IBQ: 1, the paper's recipe).
 *     NOTE: not in the paper. It exists for the named remedy variant of the utilization benchmark: with Adam
 *     every parameter moves at most about lr per step, so in a short CPU run (hundreds of steps at 1e-4) an
 *     N(0, 1) codebook barely moves from its initialisation, while the paper's runs last hundreds of thousands
 *     of steps. Scaling the codebook's rate alone gives it the travel of a longer schedule.
 */
public record OptimizerSettings(
    double learningRate, double beta1, double beta2, double epsilon, double weightDecay, double codebookLrScale) {

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
  }

  /** The paper's optimiser: Adam (0.5, 0.9), lr 1e-4, no weight decay. */
  public static OptimizerSettings paper() {
    return new OptimizerSettings(1e-4, 0.5, 0.9, 1e-8, 0.0, 1.0);
  }
}
