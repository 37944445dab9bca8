package dev.ibq.model;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way to find the repository a command or test runs in: {@code $IBQ_HOME} when set (the launcher sets it),
 * else the closest directory above the working directory, or above this class's own jar or classes folder, that
 * holds {@value #MARKER}. The committed tokenizers live under {@link #models()}.
 */
public final class ProjectRoot {
  /** Marks the repository root. */
  public static final String MARKER = "deploy/flink-lib/pom.xml";

  private ProjectRoot() {}

  /**
   * The repository root.
   *
   * @throws IllegalStateException when neither {@code $IBQ_HOME} nor any parent directory holds {@value #MARKER}
   */
  public static Path find() {
    List<Path> starts = new ArrayList<>();
    String home = System.getenv("IBQ_HOME");
    if (home != null && !home.isBlank()) {
      starts.add(Path.of(home).toAbsolutePath());
    }
    starts.add(Path.of("").toAbsolutePath());
    try {
      starts.add(Path.of(ProjectRoot.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
    } catch (URISyntaxException | NullPointerException | SecurityException ignored) {
      // no code source: only the other starts are searched
    }
    for (Path start : starts) {
      for (Path p = start; p != null; p = p.getParent()) {
        if (Files.isRegularFile(p.resolve(MARKER))) {
          return p;
        }
      }
    }
    throw new IllegalStateException(
        "Could not find the IBQ repository (a directory holding " + MARKER + ") above " + starts
            + "; run the command from inside the repository or set IBQ_HOME to it.");
  }

  /** The committed tokenizers: {@code deploy/models} under the root. */
  public static Path models() {
    return find().resolve("deploy").resolve("models");
  }

  /** One committed tokenizer, e.g. {@code model("fmnist-small")}. */
  public static Path model(String name) {
    return models().resolve(name);
  }
}
