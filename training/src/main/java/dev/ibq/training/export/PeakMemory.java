package dev.ibq.training.export;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Process resident-memory figures from Linux's /proc: current RSS, peak RSS (VmHWM), and resetting the peak
 * (writing 5 to /proc/self/clear_refs) so a phase's own peak can be read. Returns -1 where /proc is absent.
 */
public final class PeakMemory {
  private PeakMemory() {}

  /** Resets VmHWM to the current RSS; false when the kernel does not allow it. */
  public static boolean resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  public static long peakBytes() {
    return field("VmHWM:");
  }

  public static long currentBytes() {
    return field("VmRSS:");
  }

  private static long field(String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(name)) {
          return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
