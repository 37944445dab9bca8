package dev.ibq.training.autoregressive;

import dev.ibq.training.optim.AdamW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.ibq.training.autoregressive.data.TestTokenRecords;
import dev.ibq.training.autoregressive.data.TokenDataset;
import dev.ibq.training.autoregressive.data.TokenRecordFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training runs on token records read through the Avro container path.
 *
 * <p>NOTE: the records are hand-made ({@link TestTokenRecords}) until a committed tokenizer's encode output is
 * available to tests.
 */
class ArTrainerTest {

  @TempDir Path dir;

  private TokenDataset dataset(String tokenizerId) {
    Path file = dir.resolve("tokens-" + tokenizerId + ".avro");
    TokenRecordFiles.write(file, TestTokenRecords.make(40, 3, 4, 11, 5, tokenizerId, 3));
    return TokenRecordFiles.read(file);
  }

  private static ArConfig config(TokenDataset data) {
    return new ArConfig(
        "tiny", 16, 2, 2, 16, data.codebookSize(), data.gridHeight(), data.gridWidth(), data.numClasses(), 0.1f,
        0.1f, 10000f, 1e-5f, 0.02f);
  }

  @Test
  void twoBatchesOfTrainingWriteACheckpointMetricsAndALossCurve() throws Exception {
    TokenDataset data = dataset("tok-a");
    ArTrainConfig train = new ArTrainConfig(2, 8, 3e-3f, 1, 0.05f, 0.9f, 0.95f, 1.0f, 5, 0, 0, 0.2f);

    ArTrainer.Result result = ArTrainer.run(config(data), train, data, dir.resolve("run"));

    assertThat(result.steps()).isEqualTo(2);
    // the head starts at zero, so the first loss is exactly log2(K) bits
    List<String> lines = Files.readAllLines(result.metrics());
    assertThat(lines.get(0)).contains("\"step\":1");
    double first = Double.parseDouble(lines.get(0).replaceAll(".*\"train_bits_per_token\":([0-9.eE-]+).*", "$1"));
    assertThat(first).isCloseTo(Math.log(11) / Math.log(2), within(1e-4));
    assertThat(lines).anyMatch(l -> l.contains("validation_bits_per_token"));
    assertThat(result.validationBitsPerToken()).isFinite().isLessThan(Math.log(11) / Math.log(2) + 0.01);
    assertThat(result.lossCurve()).isRegularFile();
    assertThat(Files.size(result.lossCurve())).isGreaterThan(1000);

    ArCheckpoint.Header header = ArCheckpoint.readHeader(result.checkpoint());
    assertThat(header.config()).isEqualTo(config(data));
    assertThat(header.tokenizerId()).isEqualTo("tok-a");
    assertThat(header.step()).isEqualTo(2);
    assertThat(header.trainConfig()).isEqualTo(train);
  }

  @Test
  void trainingLowersTheLossOnLearnableTokens() {
    TokenDataset data = dataset("tok-learn");
    ArTrainConfig train = new ArTrainConfig(25, 16, 1e-2f, 3, 0.05f, 0.9f, 0.95f, 1.0f, 1, 0, 0, 0.1f);
    ArTrainer.Result result = ArTrainer.run(config(data), train, data, dir.resolve("learn"));
    double uniform = Math.log(11) / Math.log(2);
    assertThat(result.validationBitsPerToken()).isLessThan(uniform - 1.0);
  }

  @Test
  void resumeContinuesFromTheCheckpointAndRejectsAnotherTokenizer() throws Exception {
    TokenDataset data = dataset("tok-b");
    Path out = dir.resolve("resume");
    ArTrainConfig four = new ArTrainConfig(4, 8, 3e-3f, 1, 0.05f, 0.9f, 0.95f, 1.0f, 5, 0, 2, 0f);
    // train 4 steps (checkpoints at 2 and 4), then resume a 6-step run from the 4-step checkpoint
    ArTrainer.run(config(data), four, data, out);
    ArTrainConfig six = new ArTrainConfig(6, 8, 3e-3f, 1, 0.05f, 0.9f, 0.95f, 1.0f, 5, 0, 2, 0f);
    ArTrainer.Result resumed = ArTrainer.run(config(data), six, data, out, true, List.of());
    assertThat(resumed.steps()).isEqualTo(6);
    assertThat(ArCheckpoint.readHeader(resumed.checkpoint()).step()).isEqualTo(6);
    List<String> lines = Files.readAllLines(resumed.metrics());
    assertThat(lines).hasSize(6); // steps 1-4 from the first run, 5-6 appended
    assertThat(lines.get(4)).contains("\"step\":5");

    TokenDataset other = dataset("tok-other");
    assertThatThrownBy(() -> ArTrainer.run(config(other), six.withSteps(8), other, out, true, List.of()))
        .hasMessageContaining("tok-b")
        .hasMessageContaining("tok-other");
  }

  @Test
  void checkpointRoundTripRebuildsTheSameModel() {
    ArConfig config = TransformerTest.tinyConfig();
    Path file = dir.resolve("round-trip.ar");
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] before;
      try (Transformer model = new Transformer(manager, config, 99)) {
        NDArray head = model.parameters().tensors().get("output.weight");
        head.addi(manager.randomNormal(0f, 1f, head.getShape(), head.getDataType()));
        before = logits(model, manager);
        ArCheckpoint.save(
            file, new ArCheckpoint.Header(config, "tok-c", "name", "pre", 3, null, List.of("a", "b")), model, null);
      }
      try (ArCheckpoint.Loaded loaded = ArCheckpoint.load(file, manager)) {
        assertThat(loaded.header().config()).isEqualTo(config);
        assertThat(loaded.header().tokenizerId()).isEqualTo("tok-c");
        assertThat(loaded.header().classNames()).containsExactly("a", "b");
        assertThat(logits(loaded.model(), manager)).containsExactly(before);
      }
    }
  }

  @Test
  void zeroGradientsClearsEvenNonFiniteGradients() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray w = manager.create(new float[] {1f, 2f, 3f});
      w.setRequiresGradient(true);
      try (ai.djl.training.GradientCollector c = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
        c.backward(w.mul(Float.NaN).sum()); // every gradient element is NaN
      }
      java.util.Map<String, NDArray> params = java.util.Map.of("w", w);
      assertThat(Double.isNaN(AdamW.clipGradientNorm(params, 1.0))).isTrue();
      AdamW.zeroGradients(params);
      assertThat(w.getGradient().toFloatArray()).containsExactly(0f, 0f, 0f);
    }
  }

  private static float[] logits(Transformer model, NDManager manager) {
    return model
        .forward(manager.create(new long[] {1, 2, 3, 4, 5}, new Shape(1, 5)), manager.create(new long[] {2}), false)
        .toFloatArray();
  }
}
