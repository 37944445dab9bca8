package dev.ibq.stream.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The small exported tokenizer committed for tests (deploy/models/fmnist-small). */
public final class TestModels {
  private TestModels() {}

  /** The test tokenizer's {@code encoder.onnx}. */
  public static Path encoder() {
    Path p = dev.ibq.model.ProjectRoot.model("fmnist-small").resolve("encoder.onnx").toAbsolutePath();
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("The test tokenizer is missing at " + p + ".");
    }
    return p;
  }
}
