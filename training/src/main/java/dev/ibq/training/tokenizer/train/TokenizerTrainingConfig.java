package dev.ibq.training.tokenizer.train;

import dev.ibq.training.tokenizer.TokenizerArchitecture;
import java.util.List;
import java.util.Map;

/**
 * Everything that determines a tokenizer training run, as one immutable value. A run directory and
 * every checkpoint store it in full ({@code config.yaml}); loading a checkpoint rebuilds the model
 * from that stored copy, never from presets or CLI defaults.
 *
 * <p>Built from a named preset ({@link TokenizerPresets}), then overridden by a YAML file and
 * {@code --set key=value} options through {@link #withOverrides} (keys in snake_case, nested like
 * this record: {@code architecture.codebook_size}, {@code losses.entropy}, {@code batch_size}).
 *
 * @param preset the preset this config started from (names run directories; informative only)
 * @param dataset the training data: {@value #FASHION_MNIST} or {@code folder:PATH} (the user's labelled images;
 *     see {@link dev.ibq.training.data.TrainingData})
 * @param preprocessing the name of the shared preprocessing spec the images go through
 *     ({@value #FASHION_MNIST_32}: 28x28 padded to 32x32, one channel; {@code rgb-N} / {@code gray-N}: shorter
 *     side to N, center crop N x N, 3 or 1 channels; {@value #IMAGENET_256} = rgb-256; values in [-1, 1])
 * @param architecture the tokenizer (encoder, quantizer, decoder) to build
 * @param optimizer Adam settings for the generator and for the discriminator
 * @param losses loss weights
 * @param batchSize images per step
 * @param steps optimisation steps in total (a resumed run stops at the same total)
 * @param seed seeds parameter initialisation and the data order; same seed, same run
 * @param emaDecay decay of the weight EMA of all generator weights (evaluation, figures and export use
 *     the EMA weights); pick it so that 1 / (1 - decay) is well below the number of steps
 * @param emaWarmup false = the paper's FIXED decay; true = taming's warm-up d = min(decay, (1 + n) / (10 + n)).
 *     NOTE: a named option, not the paper's recipe
 * @param logEvery steps between metrics-log lines (and progress-bar refreshes of the windowed figures)
 * @param checkpointEvery steps between checkpoints ({@code last} is also written at the end); 0 = only at the end
 * @param figureEvery steps between PNG figure refreshes; 0 = only at the end
 * @param utilizationWindow steps over which the "recent" codebook utilization is counted
 * @param evalImages test images evaluated at the end of training (0 = the whole test set)
 * @param gridImages images shown in the reconstruction grid
 */
public record TokenizerTrainingConfig(
    String preset,
    String dataset,
    String preprocessing,
    TokenizerArchitecture architecture,
    OptimizerSettings optimizer,
    LossWeights losses,
    int batchSize,
    int steps,
    long seed,
    double emaDecay,
    boolean emaWarmup,
    int logEvery,
    int checkpointEvery,
    int figureEvery,
    int utilizationWindow,
    int evalImages,
    int gridImages) {

  public static final String FASHION_MNIST = dev.ibq.training.data.TrainingData.FASHION_MNIST;
  public static final String IMAGENET = dev.ibq.training.data.TrainingData.IMAGENET;
  public static final String FASHION_MNIST_32 = "fashion-mnist-32";
  public static final String IMAGENET_256 = "imagenet-256";


  public TokenizerTrainingConfig {
    if (!dev.ibq.training.data.TrainingData.isKnown(dataset)) {
      throw new IllegalArgumentException(
          "dataset is '" + dataset + "'; expected " + dev.ibq.training.data.TrainingData.expected() + ".");
    }
    TokenizerTrainer.preprocessingSpec(preprocessing); // throws naming the accepted forms
    positive("batch_size", batchSize);
    positive("steps", steps);
    positive("log_every", logEvery);
    positive("utilization_window", utilizationWindow);
    positive("grid_images", gridImages);
    if (checkpointEvery < 0 || figureEvery < 0 || evalImages < 0) {
      throw new IllegalArgumentException("checkpoint_every, figure_every and eval_images must be >= 0.");
    }
    if (emaDecay < 0 || emaDecay >= 1) {
      throw new IllegalArgumentException("ema_decay is " + emaDecay + "; it must lie in [0, 1).");
    }
  }

  private static void positive(String key, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(key + " is " + value + "; it must be a positive integer.");
    }
  }

  /**
   * This config with a YAML tree and {@code key=value} assignments applied, in that order.
   *
   * @throws IllegalArgumentException naming the key on an unknown key or a wrong type
   */
  public TokenizerTrainingConfig withOverrides(Map<String, ?> yaml, String yamlSource, List<String> assignments) {
    TokenizerTrainingConfig out = this;
    if (yaml != null && !yaml.isEmpty()) {
      out = RecordTree.override(out, yaml, yamlSource);
    }
    for (String assignment : assignments) {
      out = RecordTree.set(out, assignment);
    }
    return out;
  }

  /** This config with a different number of steps. */
  public TokenizerTrainingConfig withSteps(int newSteps) {
    return RecordTree.override(this, Map.of("steps", newSteps), "--steps");
  }
}
