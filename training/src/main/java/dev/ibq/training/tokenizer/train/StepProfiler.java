package dev.ibq.training.tokenizer.train;

import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libtorch's operator profiler around a range of training steps, for finding where a step's time goes:
 * {@code -Dibq.profile=FROM:TO} records steps FROM (inclusive) to TO (exclusive), 0-based, and writes a Chrome
 * trace ({@code chrome://tracing}, Perfetto) to {@code profile-FROM-TO.json} in the run directory. A run that
 * stops inside the range writes the steps it recorded when it is closed.
 */
final class StepProfiler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StepProfiler.class);
  static final String PROPERTY = "ibq.profile";

  private final long from;
  private final long to;
  private final Path file;
  private boolean recording;

  private StepProfiler(long from, long to, Path file) {
    this.from = from;
    this.to = to;
    this.file = file;
  }

  /** The profiler the system property asks for, or one that does nothing. */
  static StepProfiler fromSystemProperty(Path runDir) {
    String range = System.getProperty(PROPERTY);
    if (range == null || range.isBlank()) {
      return new StepProfiler(-1, -1, null);
    }
    String[] parts = range.split(":");
    long from;
    long to;
    try {
      if (parts.length != 2) {
        throw new NumberFormatException();
      }
      from = Long.parseLong(parts[0].trim());
      to = Long.parseLong(parts[1].trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("-D" + PROPERTY + " must be FROM:TO (0-based steps, TO exclusive), not '" + range + "'");
    }
    if (from < 0 || to <= from) {
      throw new IllegalArgumentException("-D" + PROPERTY + "=" + range + ": need 0 <= FROM < TO");
    }
    return new StepProfiler(from, to, runDir.resolve("profile-" + from + "-" + to + ".json"));
  }

  void beforeStep(long step) {
    if (file != null && step == from) {
      LOG.info("Profiling steps {} to {} with libtorch's profiler", from + 1, to);
      JniUtils.startProfile(false, true, false);
      recording = true;
    }
  }

  void afterStep(long step) {
    if (recording && step == to - 1) {
      stop(step);
    }
  }

  /** Writes what was recorded when the run ended inside the range. */
  @Override
  public void close() {
    if (recording) {
      stop(-1);
    }
  }

  private void stop(long lastStep) {
    recording = false;
    JniUtils.stopProfile(file.toString());
    LOG.info("Profile of steps {} to {} written to {}", from + 1, lastStep < 0 ? "the end of the run" : lastStep + 1, file);
  }
}
