package dev.ibq.training.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.ibq.training.optim.AdamW;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checkpoint layout itself: round trip, atomic replacement, and the errors a damaged directory gives. */
class CheckpointTest {

  @TempDir Path dir;

  @Test
  void weightsAndOptimizerStateRoundTripExactlyAndAReplacementLeavesNoTemporaryDirectories() throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> weights = new LinkedHashMap<>();
      weights.put("layers.0.w", manager.randomNormal(new ai.djl.ndarray.types.Shape(3, 4)));
      weights.put("norm.weight", manager.randomNormal(new ai.djl.ndarray.types.Shape(4)));
      weights.values().forEach(w -> w.setRequiresGradient(true));
      AdamW adam = AdamW.adam(weights, manager, 0.9, 0.99, 1e-8, Map.of());
      try (var collector = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
        collector.backward(weights.get("layers.0.w").sum().add(weights.get("norm.weight").square().sum()));
      }
      adam.step(weights, 0.1);
      Path target = dir.resolve("ckpt");
      for (int round = 0; round < 2; round++) { // the second write replaces the first
        Checkpoint.writer(target, Checkpoint.Stage.AUTOREGRESSIVE, 7 + round, "ref.Class")
            .text(Checkpoint.CONFIG_FILE, "a: " + round + "\n")
            .weights(Checkpoint.MODEL, weights, Map.of())
            .optimizer(Checkpoint.MODEL, adam)
            .commit();
      }
      try (var files = Files.list(dir)) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactly("ckpt");
      }
      Checkpoint c = Checkpoint.open(target, Checkpoint.Stage.AUTOREGRESSIVE);
      assertThat(c.step()).isEqualTo(8);
      assertThat(c.manifest().referenceClass()).isEqualTo("ref.Class");
      assertThat(c.text(Checkpoint.CONFIG_FILE)).isEqualTo("a: 1\n");

      Map<String, NDArray> fresh = new LinkedHashMap<>();
      weights.forEach((k, v) -> fresh.put(k, manager.zeros(v.getShape())));
      c.load(Checkpoint.MODEL, fresh);
      weights.forEach((k, v) -> assertThat(fresh.get(k).toFloatArray()).containsExactly(v.toFloatArray()));
      AdamW restored = AdamW.adam(fresh, manager, 0.9, 0.99, 1e-8, Map.of());
      c.restore(Checkpoint.MODEL, restored);
      assertThat(restored.updates()).isEqualTo(1);
      adam.secondMoments().forEach((k, v) ->
          assertThat(restored.secondMoments().get(k).toFloatArray()).containsExactly(v.toFloatArray()));

      assertThatThrownBy(() -> Checkpoint.open(target, Checkpoint.Stage.TOKENIZER))
          .hasMessageContaining("is a checkpoint of the autoregressive stage; expected one of the tokenizer stage");
      assertThatThrownBy(() -> c.load("discriminator", fresh))
          .hasMessageContaining("has no discriminator.safetensors");
      Map<String, NDArray> other = new LinkedHashMap<>(fresh);
      other.remove("norm.weight");
      other.put("extra", manager.zeros(new ai.djl.ndarray.types.Shape(2)));
      assertThatThrownBy(() -> c.load(Checkpoint.MODEL, other))
          .hasMessageContaining("1 missing key(s): [extra]")
          .hasMessageContaining("1 unexpected key(s): [norm.weight]");
    }
  }

  @Test
  void aDirectoryWithoutManifestOrWithAForeignOneIsNotACheckpoint() throws Exception {
    assertThatThrownBy(() -> Checkpoint.open(dir, Checkpoint.Stage.TOKENIZER)).hasMessageContaining("has no checkpoint.json");
    Files.writeString(dir.resolve(Checkpoint.MANIFEST), "{\"format\": \"something-else\"}");
    assertThatThrownBy(() -> Checkpoint.open(dir, Checkpoint.Stage.TOKENIZER))
        .hasMessageContaining("does not describe a checkpoint of format ibq-checkpoint-1");
    Files.writeString(dir.resolve(Checkpoint.MANIFEST), "{not json");
    assertThatThrownBy(() -> Checkpoint.open(dir, Checkpoint.Stage.TOKENIZER)).hasMessageContaining("is not valid JSON");
  }
}
