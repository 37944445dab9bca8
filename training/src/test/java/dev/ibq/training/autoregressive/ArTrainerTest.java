package dev.ibq.training.autoregressive;

import dev.ibq.training.optim.AdamW;
import dev.ibq.training.run.Checkpoint;
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
    Path file = dir.resolve("round-trip");
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
      // The weights sit under LlamaGen's keys in model.safetensors; no optimizer state was saved.
      Checkpoint saved = Checkpoint.open(file, Checkpoint.Stage.AUTOREGRESSIVE);
      assertThat(saved.tensors(Checkpoint.MODEL, manager).keySet())
          .contains("tok_embeddings.weight", "cls_embedding.embedding_table.weight", "layers.0.attention.wqkv.weight",
              "layers.0.feed_forward.w2.weight", "layers.0.attention_norm.weight", "norm.weight", "output.weight");
      assertThat(saved.manifest().files()).doesNotContainKey("optimizer.safetensors");
    }
  }

  @Test
  void aResumedRunEndsWithTheSameWeightsAndMomentsBitForBitAsAnUninterruptedOne() throws Exception {
    TokenDataset data = dataset("tok-exact");
    // dropout 0.1 and label dropout 0.1: the masks of a resumed step must be the ones the uninterrupted run drew
    ArTrainConfig six = new ArTrainConfig(6, 8, 3e-3f, 2, 0.05f, 0.9f, 0.95f, 1.0f, 5, 0, 2, 0f);
    Path whole = dir.resolve("whole");
    ArTrainer.run(config(data), six, data, whole);
    // a second folder holding only the step-4 checkpoint of the same run, as if it had stopped there
    Path cut = dir.resolve("cut");
    Path step4 = Checkpoint.stepDirectory(cut, 4);
    Files.createDirectories(step4);
    try (var files = Files.list(Checkpoint.stepDirectory(whole, 4))) {
      for (Path f : files.toList()) {
        Files.copy(f, step4.resolve(f.getFileName()));
      }
    }
    Checkpoint.pointLastAt(cut, step4);
    ArTrainer.Result resumed = ArTrainer.run(config(data), six, data, cut, true, List.of());
    assertThat(resumed.checkpoint()).isEqualTo(Checkpoint.stepDirectory(cut, 6).toAbsolutePath());
    try (NDManager manager = NDManager.newBaseManager()) {
      Checkpoint a = Checkpoint.open(Checkpoint.stepDirectory(whole, 6), Checkpoint.Stage.AUTOREGRESSIVE);
      Checkpoint b = Checkpoint.open(resumed.checkpoint(), Checkpoint.Stage.AUTOREGRESSIVE);
      assertSameTensors(a.tensors(Checkpoint.MODEL, manager), b.tensors(Checkpoint.MODEL, manager));
      assertSameTensors(a.optimizerTensors(Checkpoint.MODEL, manager), b.optimizerTensors(Checkpoint.MODEL, manager));
      assertThat(b.text(Checkpoint.STATE_FILE)).isEqualTo(a.text(Checkpoint.STATE_FILE));
    }
  }

  @Test
  void aCheckpointOfTheEarlierFormatIsRefusedWithTheConversionAndConvertsBitForBit() throws Exception {
    Path legacy = Path.of("src/test/resources/legacy/ar-checkpoint.ar");
    try (NDManager manager = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> ArCheckpoint.load(legacy, manager))
          .hasMessageContaining("IBQ-AR-1")
          .hasMessageContaining("./ibq convert-checkpoint --in " + legacy);
      Path converted = dir.resolve("converted");
      ArCheckpoint.convertLegacy(legacy, converted, manager); // behind ./ibq convert-checkpoint (deploy/cli)
      try (ArCheckpoint.Loaded loaded = ArCheckpoint.load(converted, manager)) {
        assertThat(loaded.header().tokenizerId()).isEqualTo("tok-legacy");
        assertThat(loaded.header().classNames()).containsExactly("a", "b", "c");
        // the legacy file was written from Transformer(seed 7): the converted weights are exactly those
        try (Transformer original = new Transformer(manager, loaded.header().config(), 7)) {
          assertSameTensors(original.parameters().tensors(), loaded.model().parameters().tensors());
        }
      }
    }
  }

  @Test
  void aTruncatedOrMissingFileIsAnErrorNamingIt() throws Exception {
    ArConfig config = TransformerTest.tinyConfig();
    Path ckpt = dir.resolve("damaged");
    try (NDManager manager = NDManager.newBaseManager(); Transformer model = new Transformer(manager, config, 1)) {
      ArCheckpoint.save(ckpt, new ArCheckpoint.Header(config, "t", "n", "p", 1, null, List.of()), model, null);
      Path weights = ckpt.resolve("model.safetensors");
      byte[] bytes = Files.readAllBytes(weights);
      Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length - 10));
      assertThatThrownBy(() -> ArCheckpoint.load(ckpt, manager))
          .hasMessageContaining("model.safetensors has " + (bytes.length - 10) + " bytes but was written with " + bytes.length);
      Files.delete(weights);
      assertThatThrownBy(() -> ArCheckpoint.load(ckpt, manager))
          .hasMessageContaining("incomplete: model.safetensors is missing");
      assertThatThrownBy(() -> ArCheckpoint.load(dir.resolve("nothing-here"), manager))
          .hasMessageContaining("does not exist");
    }
  }

  private static void assertSameTensors(java.util.Map<String, NDArray> expected, java.util.Map<String, NDArray> actual) {
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    expected.forEach((key, value) ->
        assertThat(actual.get(key).toFloatArray()).as(key).containsExactly(value.toFloatArray()));
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
