package dev.ibq.training.tokenizer.train;

import ai.djl.ndarray.NDArray;
import dev.ibq.training.run.StopRequest;
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
 * @param stop read between steps: when set, the run writes a checkpoint and returns early (SIGINT/SIGTERM)
 * @param checkpointMinutes also write a checkpoint when this many minutes passed since the last one (0 = only
 *     every {@code checkpoint_every} steps); the previous time-based one is then removed
 */
public record TrainingOptions(
    Path dataDir,
    String device,
    Path resumeFrom,
    boolean progressBar,
    boolean evaluate,
    PerceptualLoss perceptual,
    StopRequest stop,
    double checkpointMinutes) {

  public TrainingOptions {
    stop = stop == null ? StopRequest.none() : stop;
    if (!(checkpointMinutes >= 0)) {
      throw new IllegalArgumentException("checkpoint minutes is " + checkpointMinutes + "; it must be >= 0 (0 = off).");
    }
  }

  public TrainingOptions(Path dataDir, String device, Path resumeFrom, boolean progressBar, boolean evaluate, PerceptualLoss perceptual) {
    this(dataDir, device, resumeFrom, progressBar, evaluate, perceptual, null, 10);
  }

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
    return new TrainingOptions(dataDir, device, checkpoint, progressBar, evaluate, perceptual, stop, checkpointMinutes);
  }

  public TrainingOptions withDevice(String d) {
    return new TrainingOptions(dataDir, d, resumeFrom, progressBar, evaluate, perceptual, stop, checkpointMinutes);
  }

  public TrainingOptions withProgressBar(boolean on) {
    return new TrainingOptions(dataDir, device, resumeFrom, on, evaluate, perceptual, stop, checkpointMinutes);
  }

  public TrainingOptions withEvaluate(boolean on) {
    return new TrainingOptions(dataDir, device, resumeFrom, progressBar, on, perceptual, stop, checkpointMinutes);
  }

  public TrainingOptions withPerceptual(PerceptualLoss p) {
    return new TrainingOptions(dataDir, device, resumeFrom, progressBar, evaluate, p, stop, checkpointMinutes);
  }

  public TrainingOptions withDataDir(Path dir) {
    return new TrainingOptions(dir, device, resumeFrom, progressBar, evaluate, perceptual, stop, checkpointMinutes);
  }

  public TrainingOptions withStop(StopRequest s) {
    return new TrainingOptions(dataDir, device, resumeFrom, progressBar, evaluate, perceptual, s, checkpointMinutes);
  }

  public TrainingOptions withCheckpointMinutes(double minutes) {
    return new TrainingOptions(dataDir, device, resumeFrom, progressBar, evaluate, perceptual, stop, minutes);
  }
}
