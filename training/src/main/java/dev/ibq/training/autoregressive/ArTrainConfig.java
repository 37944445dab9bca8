package dev.ibq.training.autoregressive;

/**
 * Training settings of the AR model (IBQ.md stage 2). Defaults follow the paper's recipe; the step count and
 * batch size are sized for the machine.
 *
 * @param steps total optimizer steps (the learning rate decays linearly to 0 at this step)
 * @param batchSize sequences per step
 * @param learningRate peak learning rate (3e-4)
 * @param warmupSteps linear warm-up from 0 to the peak
 * @param weightDecay AdamW decoupled weight decay (0.05) on tensors with 2+ dims
 * @param beta1 AdamW beta1 (0.9)
 * @param beta2 AdamW beta2 (0.95)
 * @param gradClip global gradient-norm clip (1.0)
 * @param seed seed of initialisation, batch order, label dropout and dropout
 * @param evalEvery steps between validation passes (0 = only at the end)
 * @param checkpointEvery steps between checkpoints (0 = only at the end)
 * @param validationFraction fraction of the records held out for validation when no separate set is given
 */
public record ArTrainConfig(
    int steps,
    int batchSize,
    float learningRate,
    int warmupSteps,
    float weightDecay,
    float beta1,
    float beta2,
    float gradClip,
    long seed,
    int evalEvery,
    int checkpointEvery,
    float validationFraction) {

  public ArTrainConfig {
    if (steps <= 0 || batchSize <= 0) {
      throw new IllegalArgumentException(
          "Training needs steps > 0 and batchSize > 0, got steps " + steps + ", batch " + batchSize + ".");
    }
    if (warmupSteps < 0 || warmupSteps > steps) {
      throw new IllegalArgumentException("warmupSteps must be in [0, steps], got " + warmupSteps + ".");
    }
    if (!(validationFraction >= 0 && validationFraction < 1)) {
      throw new IllegalArgumentException("validationFraction must be in [0, 1), got " + validationFraction + ".");
    }
  }

  /** The paper's recipe for a run of {@code steps} steps: warm-up over the first 5% (at least 1 step). */
  public static ArTrainConfig defaults(int steps, int batchSize) {
    return new ArTrainConfig(
        steps, batchSize, 3e-4f, Math.max(1, steps / 20), 0.05f, 0.9f, 0.95f, 1.0f, 0, 0, 0, 0.05f);
  }

  /** Linear warm-up to the peak, then linear decay to 0 at {@link #steps()}; {@code step} counts from 0. */
  public float learningRateAt(long step) {
    if (step < warmupSteps) {
      return learningRate * (step + 1) / warmupSteps;
    }
    long decaySteps = Math.max(1, steps - warmupSteps);
    return (float) (learningRate * Math.max(0.0, 1.0 - (double) (step - warmupSteps) / decaySteps));
  }

  public ArTrainConfig withSteps(int newSteps) {
    return new ArTrainConfig(
        newSteps, batchSize, learningRate, Math.min(warmupSteps, newSteps), weightDecay, beta1, beta2, gradClip,
        seed, evalEvery, checkpointEvery, validationFraction);
  }
}
