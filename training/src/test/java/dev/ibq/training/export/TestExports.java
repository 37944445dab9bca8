package dev.ibq.training.export;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Small random-weight exports for tests (fast to build and run; 32x32x1 Fashion-MNIST geometry). */
public final class TestExports {
  /** 32x32x1 -> 16x16 tokens, K 64, D 8. */
  public static final TokenizerArchitecture SMALL =
      new TokenizerArchitecture(32, 1, 1, 16, List.of(1, 2), 1, List.of(16), 8, 8, 64, 8, 0.0, "IBQ");

  private TestExports() {}

  /** Exports {@link #SMALL} with random weights of the given seed into {@code dir}. */
  public static TokenizerExporter.Exported small(Path dir, long seed) throws IOException {
    return TokenizerExporter.export(
        SMALL,
        NamedWeights.random(seed),
        new TokenizerExporter.Description(
            "test-small-" + seed, PreprocessingSpec.fashionMnist32().toCanonicalString(), "{\"test\":true}", 20),
        dir);
  }
}
