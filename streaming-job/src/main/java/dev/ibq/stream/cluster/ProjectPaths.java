package dev.ibq.stream.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the project's build outputs are: the repository root (found by walking up from the working
 * directory or from this class's own location), the job jar, and the Flink lib/ description.
 */
public final class ProjectPaths {
  /** Marks the repository root. */
  static final String FLINK_LIB_POM = "deploy/flink-lib/pom.xml";

  private ProjectPaths() {}

  /** The repository root: the closest directory above the working directory or this class holding deploy/flink-lib. */
  public static Path root() {
    List<Path> starts = new ArrayList<>();
    starts.add(Path.of("").toAbsolutePath());
    try {
      starts.add(Path.of(ProjectPaths.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
    } catch (URISyntaxException | NullPointerException | SecurityException ignored) {
      // no code source: only the working directory is searched
    }
    for (Path start : starts) {
      for (Path p = start; p != null; p = p.getParent()) {
        if (Files.isRegularFile(p.resolve(FLINK_LIB_POM))) {
          return p;
        }
      }
    }
    throw new IllegalStateException(
        "Could not find the IBQ repository (a directory holding " + FLINK_LIB_POM + ") above " + starts
            + "; run the command from inside the repository.");
  }

  /** The default work directory of the local cluster: {@code .work/cluster} under the repository root. */
  public static Path defaultClusterDir() {
    return root().resolve(".work").resolve("cluster");
  }

  /**
   * The job jar built by {@code mvn package}: {@code streaming-job/target/streaming-job-*-job.jar}.
   *
   * @throws IllegalStateException when it has not been built
   */
  public static Path jobJar() {
    Path target = root().resolve("streaming-job").resolve("target");
    if (Files.isDirectory(target)) {
      try (DirectoryStream<Path> jars = Files.newDirectoryStream(target, "streaming-job-*-job.jar")) {
        for (Path jar : jars) {
          return jar;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Could not list " + target + ".", e);
      }
    }
    throw new IllegalStateException(
        "The job jar streaming-job/target/streaming-job-*-job.jar is missing; build it with"
            + " 'mvn -B -q package -DskipTests' (./ibq does so when sources changed).");
  }
}
