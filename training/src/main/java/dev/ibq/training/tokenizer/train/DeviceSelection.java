package dev.ibq.training.tokenizer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the training device: {@code auto} (the first GPU when the loaded libtorch build sees one, else
 * the CPU), {@code cpu}, or {@code gpu} (the first GPU; falls back to the CPU with a warning when there is
 * none). The choice and its reason are logged.
 *
 * <p>GPUs need the CUDA build of libtorch on the class path: build with {@code mvn -Pcuda} (see
 * training/pom.xml). With the default CPU build, {@code gpu} always falls back.
 *
 * <p>NOTE: one device only. DJL's data parallelism lives in its {@code Trainer} / {@code ParameterStore}
 * (one model copy per device, gradients summed by a parameter server); this trainer drives two optimisers
 * by hand over its own parameter groups and does not use that machinery, so several GPUs are not used.
 */
public final class DeviceSelection {

  private static final Logger LOG = LoggerFactory.getLogger(DeviceSelection.class);

  /** The device and why it was chosen. */
  public record Choice(Device device, String reason) {}

  private DeviceSelection() {}

  public static Choice select(String requested) {
    String r = requested == null ? "auto" : requested.trim().toLowerCase();
    int gpus = Engine.getInstance().getGpuCount();
    String engine = Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion();
    Choice choice = switch (r) {
      case "cpu" -> new Choice(Device.cpu(), "--device cpu was requested");
      case "gpu" -> gpus > 0
          ? new Choice(Device.gpu(0), "--device gpu was requested; " + gpus + " GPU(s) visible, using gpu(0)")
          : new Choice(Device.cpu(), "--device gpu was requested but " + engine
              + " sees no GPU (is the CUDA build selected with mvn -Pcuda, and a driver present?); falling back to the CPU");
      case "auto" -> gpus > 0
          ? new Choice(Device.gpu(0), "auto: " + gpus + " GPU(s) visible to " + engine + ", using gpu(0)")
          : new Choice(Device.cpu(), "auto: " + engine + " sees no GPU");
      default -> throw new IllegalArgumentException("--device is '" + requested + "'; expected auto, cpu or gpu.");
    };
    if (r.equals("gpu") && gpus == 0) {
      LOG.warn("Training on {}: {}", choice.device(), choice.reason());
    } else {
      LOG.info("Training on {}: {}", choice.device(), choice.reason());
    }
    if (!choice.device().isGpu()) {
      LOG.info("Native allocator: {}", NativeAllocator.describe());
    }
    return choice;
  }
}
