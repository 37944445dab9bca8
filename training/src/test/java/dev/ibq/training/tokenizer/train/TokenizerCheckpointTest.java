package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.ibq.training.run.Checkpoint;
import dev.ibq.training.weights.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The earlier tokenizer checkpoint layout (IBQW {@code *.weights}, committed under src/test/resources/legacy, written
 * by the code before the safetensors layout) is refused with the conversion to run, converts bit for bit, and the
 * converted checkpoint loads and resumes.
 */
class TokenizerCheckpointTest {

  static final Path LEGACY = Path.of("src/test/resources/legacy/tokenizer-ibqw-step-1");

  @TempDir Path dir;

  @Test
  void theEarlierLayoutIsRefusedWithTheCommandThatConvertsIt() {
    try (NDManager manager = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> TokenizerCheckpoint.load(LEGACY, manager))
          .hasMessageContaining("earlier layout")
          .hasMessageContaining("./ibq convert-checkpoint --in " + LEGACY);
    }
  }

  @Test
  void conversionCopiesEveryTensorBitForBitUnderTheSameKeysAndTheResultResumes() throws Exception {
    Path converted = dir.resolve("converted");
    // (the library call behind ./ibq convert-checkpoint, which lives in deploy/cli)
    try (NDManager m = NDManager.newBaseManager()) {
      TokenizerCheckpoint.convertLegacy(LEGACY, converted, m);
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      Checkpoint c = Checkpoint.open(converted, Checkpoint.Stage.TOKENIZER);
      assertThat(c.step()).isEqualTo(1);
      assertSame(WeightFile.read(LEGACY.resolve("ema.weights"), manager), c.tensors(TokenizerCheckpoint.EMA, manager));
      assertSame(WeightFile.read(LEGACY.resolve("generator.weights"), manager), c.tensors(TokenizerCheckpoint.GENERATOR, manager));
      assertSame(
          WeightFile.read(LEGACY.resolve("discriminator.weights"), manager), c.tensors(TokenizerCheckpoint.DISCRIMINATOR, manager));
      Map<String, NDArray> adam = WeightFile.read(LEGACY.resolve("adam-generator.weights"), manager);
      Map<String, NDArray> moments = c.optimizerTensors(TokenizerCheckpoint.GENERATOR, manager);
      assertThat(moments).hasSameSizeAs(adam);
      adam.forEach((key, value) -> {
        String renamed = (key.startsWith("m.") ? "exp_avg." : "exp_avg_sq.") + key.substring(2);
        assertThat(moments.get(renamed).toFloatArray()).as(renamed).containsExactly(value.toFloatArray());
      });
      assertThat(Safetensors.read(converted.resolve("model.safetensors")).metadata())
          .containsEntry("ibq.reference_class", "src.IBQ.models.ibqgan.IBQ");
      assertThat(TokenizerCheckpoint.load(converted, manager).config()).isEqualTo(
          ConfigFiles.readComplete(LEGACY.resolve(ConfigFiles.CONFIG_FILE)));
    }
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    TokenizerTrainingConfig two = TokenizerCheckpoint.config(converted).withSteps(2);
    TrainingResult resumed = TokenizerTrainer.run(two, dir.resolve("resumed"),
        TrainingOptions.defaults().withDevice("cpu").withProgressBar(false).withEvaluate(false).withResume(converted));
    assertThat(resumed.startStep()).isEqualTo(1);
    assertThat(TokenizerCheckpoint.readState(resumed.lastCheckpoint()).generatorAdamUpdates()).isEqualTo(2);
  }

  @Test
  void aTruncatedWeightFileIsAnErrorNamingIt() throws Exception {
    Path converted = dir.resolve("c");
    try (NDManager manager = NDManager.newBaseManager()) {
      TokenizerCheckpoint.convertLegacy(LEGACY, converted, manager);
      Path file = converted.resolve("generator.safetensors");
      long size = Files.size(file);
      try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
        ch.truncate(size / 2);
      }
      assertThatThrownBy(() -> TokenizerCheckpoint.load(converted, manager, false))
          .hasMessageContaining("generator.safetensors has " + size / 2 + " bytes but was written with " + size);
      assertThatThrownBy(() -> TokenizerCheckpoint.load(dir.resolve("nothing"), manager))
          .hasMessageContaining("is not a tokenizer checkpoint");
    }
  }

  private static void assertSame(Map<String, NDArray> expected, Map<String, NDArray> actual) {
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    expected.forEach((key, value) -> {
      assertThat(actual.get(key).getDataType()).as(key).isEqualTo(value.getDataType());
      assertThat(actual.get(key).toByteBuffer()).as(key).isEqualTo(value.toByteBuffer());
    });
  }
}
