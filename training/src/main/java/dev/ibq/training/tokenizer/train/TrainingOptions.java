package dev.ibq.training.tokenizer.train;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;

/**
 * How to run a training (as opposed to what to train, which is the config).
 *
 * @param dataDir folder with the Fashion-MNIST files
 * @param device auto, cpu or gpu (see {@link DeviceSelection})
 * @param resumeFrom a checkpoint (or run) directory to continue from, or null for a fresh run
 * @param progressBar draw the live progress line on stderr
 * @param evaluate evaluate the EMA weights on the test set at the end (utilization, PSNR, SSIM, grid)
 * @param perceptual the perceptual loss network hook, or null; required when the perceptual weight is non-zero
 */
public record TrainingOptions(Path dataDir, String device, Path resumeFrom, boolean progressBar, boolean evaluate, PerceptualLoss perceptual) {

  /**
   * A perceptual distance between reconstructions and targets (B, C, H, W) in [-1, 1], returning a
   * differentiable scalar (LPIPS-VGG in the paper; any feature network the user supplies here).
   */
  @FunctionalInterface
  public interface PerceptualLoss {
    NDArray distance(NDArray reconstruction, NDArray target);
  }

  /** Defaults: the installed Fashion-MNIST, device auto, fresh run, progress bar, final evaluation, no perceptual network. */
  public static TrainingOptions defaults() {
    return new TrainingOptions(dev.ibq.image.source.FashionMnist.defaultDir(), "auto", null, true, true, null);
  }

  public TrainingOptions withResume(Path checkpoint) {
    return new TrainingOptions(dataDir, device, checkpoint, progressBar, evaluate, perceptual);
  }

  public TrainingOptions withDevice(String d) {
    return new TrainingOptions(dataDir, d, resumeFrom, progressBar, evaluate, perceptual);
  }

  public TrainingOptions withProgressBar(boolean on) {
    return new TrainingOptions(dataDir, device, resumeFrom, on, evaluate, perceptual);
  }

  public TrainingOptions withEvaluate(boolean on) {
    return new TrainingOptions(dataDir, device, resumeFrom, progressBar, on, perceptual);
  }

  public TrainingOptions withPerceptual(PerceptualLoss p) {
    return new TrainingOptions(dataDir, device, resumeFrom, progressBar, evaluate, p);
  }
}
