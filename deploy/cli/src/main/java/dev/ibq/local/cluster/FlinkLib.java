package dev.ibq.local.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The class path of the standalone cluster's JobManager and TaskManagers: what a Flink distribution
 * keeps in {@code lib/}, here resolved by Maven from {@code deploy/flink-lib/pom.xml} (Flink runtime,
 * REST web handlers, clients, the log4j2 binding and ONNX Runtime) instead of a downloaded distribution.
 *
 * <p>The resolved class path is cached in {@code deploy/flink-lib/target/classpath.txt} and resolved again
 * when the pom is newer. Maven runs offline first (everything is usually in the local repository) and
 * online only when that fails.
 */
public final class FlinkLib {
  private static final Logger LOG = LoggerFactory.getLogger(FlinkLib.class);

  private FlinkLib() {}

  /** The jars of Flink's lib/, resolved (and cached) on first use. */
  public static List<Path> jars() {
    Path root = ProjectPaths.root();
    Path pom = root.resolve(ProjectPaths.FLINK_LIB_POM);
    Path cache = pom.getParent().resolve("target").resolve("classpath.txt");
    try {
      if (!Files.isRegularFile(cache) || newer(pom, cache) || newer(root.resolve("pom.xml"), cache)) {
        resolve(pom, cache);
      }
      List<Path> jars = new ArrayList<>();
      for (String entry : Files.readString(cache, StandardCharsets.UTF_8).strip().split(java.io.File.pathSeparator)) {
        Path jar = Path.of(entry);
        if (!Files.isRegularFile(jar)) {
          Files.delete(cache);
          throw new IllegalStateException(
              "The Flink lib/ class path names " + jar + ", which does not exist; run the command again to"
                  + " resolve it afresh.");
        }
        jars.add(jar);
      }
      return jars;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read the Flink lib/ class path " + cache + ".", e);
    }
  }

  /** {@link #jars()} joined with the platform's path separator. */
  public static String classPath() {
    List<String> parts = new ArrayList<>();
    for (Path p : jars()) {
      parts.add(p.toString());
    }
    return String.join(java.io.File.pathSeparator, parts);
  }

  private static boolean newer(Path a, Path b) throws IOException {
    FileTime ta = Files.getLastModifiedTime(a);
    return ta.compareTo(Files.getLastModifiedTime(b)) > 0;
  }

  private static void resolve(Path pom, Path cache) throws IOException {
    Files.createDirectories(cache.getParent());
    Path log = cache.resolveSibling("resolve.log");
    for (boolean offline : new boolean[] {true, false}) {
      List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "-ntp", "-q"));
      if (offline) {
        cmd.add("-o");
      }
      cmd.addAll(
          List.of(
              "-f", pom.toString(), "dependency:build-classpath", "-DincludeScope=runtime",
              "-Dmdep.outputFile=" + cache));
      LOG.info("Resolving Flink's lib/ with Maven{}: {}", offline ? " (offline)" : "", String.join(" ", cmd));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      try {
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
          p.destroyForcibly();
          throw new IllegalStateException("Resolving Flink's lib/ with Maven took over 10 minutes; see " + log + ".");
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while resolving Flink's lib/ with Maven.", e);
      }
      if (p.exitValue() == 0 && Files.isRegularFile(cache)) {
        return;
      }
    }
    throw new IllegalStateException(
        "Maven could not resolve Flink's lib/ from " + pom + " (is 'mvn' on the PATH and the network or the local"
            + " repository available?): " + Files.readString(log, StandardCharsets.UTF_8).strip());
  }
}
