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
 */
public record OptimizerSettings(double learningRate, double beta1, double beta2, double epsilon, double weightDecay) {

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
  }

  /** The paper's optimiser: Adam (0.5, 0.9), lr 1e-4, no weight decay. */
  public static OptimizerSettings paper() {
    return new OptimizerSettings(1e-4, 0.5, 0.9, 1e-8, 0.0);
  }
}
