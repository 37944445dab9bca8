package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightEmaTest {

  @TempDir Path dir;

  @Test
  void thePapersEmaHasAFixedDecayAndTheWarmupIsANamedOption() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray weight = manager.create(new float[] {1f});
      NDArray fixedShadow = manager.create(new float[] {0f});
      NDArray warmShadow = manager.create(new float[] {0f});
      WeightEma fixed = new WeightEma(0.999, false, Map.of("w", fixedShadow), Map.of("w", weight));
      WeightEma warm = new WeightEma(0.999, true, Map.of("w", warmShadow), Map.of("w", weight));
      assertThat(fixed.currentDecay()).isEqualTo(0.999);
      assertThat(warm.currentDecay()).isCloseTo(0.1, within(1e-12)); // (1 + 0) / (10 + 0)
      // Both start at the weights; move the weights to 2 and update once.
      weight.set(new float[] {2f});
      fixed.update(Map.of("w", weight), manager);
      warm.update(Map.of("w", weight), manager);
      assertThat((double) fixedShadow.getFloat()).isCloseTo(0.999 * 1 + 0.001 * 2, within(1e-6));
      assertThat((double) warmShadow.getFloat()).isCloseTo(0.1 * 1 + 0.9 * 2, within(1e-6));
      assertThat(fixed.currentDecay()).isEqualTo(0.999);
      assertThat(warm.currentDecay()).isCloseTo(2.0 / 11, within(1e-12));
    }
  }

  @Test
  void aConfigWrittenBeforeTheScheduleAndEmaKeysExistedLoadsAsTheRunThatWroteIt() throws Exception {
    Path file = dir.resolve("config.yaml");
    ConfigFiles.write(TokenizerPresets.get("fmnist-cpu"), file);
    String old = Files.readString(file)
        .replace("ema_warmup: false\n", "")
        .replaceAll("  lr_drop_steps: \\[\\s*\\]\n", "")
        .replace("  lr_drop_factor: 0.1\n", "");
    assertThat(old).doesNotContain("ema_warmup").doesNotContain("lr_drop");
    Files.writeString(file, old);
    TokenizerTrainingConfig loaded = ConfigFiles.readComplete(file);
    assertThat(loaded.emaWarmup()).as("runs before the fix had the warm-up").isTrue();
    assertThat(loaded.optimizer().lrDropSteps()).isEqualTo(List.of());
    assertThat(loaded.optimizer().learningRateAt(1_000_000)).isEqualTo(1e-4);
  }
}
