package dev.ibq.local.cluster;

import dev.ibq.model.ProjectRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the project's build outputs are: the repository root (found by walking up from the working
 * directory or from this class's own location), the job jar, and the Flink lib/ description.
 */
public final class ProjectPaths {
  /** The Flink lib/ description, which also marks the repository root. */
  static final String FLINK_LIB_POM = ProjectRoot.MARKER;

  private ProjectPaths() {}

  /** The repository root ({@link ProjectRoot#find()}). */
  public static Path root() {
    return ProjectRoot.find();
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
