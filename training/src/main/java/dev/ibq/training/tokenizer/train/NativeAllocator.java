package dev.ibq.training.tokenizer.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Which C allocator serves libtorch's tensors in this process, for the log: the {@code ./ibq} launcher preloads
 * jemalloc for the libtorch commands when Debian's {@code libjemalloc2} is installed.
 *
 * <p>Why it matters: glibc's malloc maps every block above 32 MB afresh and unmaps it when freed, so each training
 * step page-faults its (N, K) buffers in again, 4 KB at a time (at K = 16384, N = 2048: 1.7 million faults and 3-4 s
 * of kernel time in 4 steps). jemalloc with decay off keeps the freed pages for the next step.
 */
public final class NativeAllocator {

  private NativeAllocator() {}

  /** "jemalloc (MALLOC_CONF=...)" when libjemalloc is mapped into this process, else "glibc malloc". */
  public static String describe() {
    if (!mapped("libjemalloc")) {
      return "glibc".equals(System.getenv("IBQ_ALLOCATOR"))
          ? "glibc malloc (IBQ_ALLOCATOR=glibc)"
          : "glibc malloc (install libjemalloc2 for faster steps; the ./ibq launcher then preloads it)";
    }
    String conf = System.getenv("MALLOC_CONF");
    return "jemalloc" + (conf == null || conf.isBlank() ? "" : " (MALLOC_CONF=" + conf + ")");
  }

  static boolean mapped(String library) {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return false;
    }
    try (Stream<String> lines = Files.lines(maps)) {
      return lines.anyMatch(line -> line.contains(library));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
