package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.ibq.model.CodeUsage;
import dev.ibq.training.importer.ReferenceConfig;
import dev.ibq.training.importer.TokenizerImporter;
import dev.ibq.training.optim.AdamW;
import dev.ibq.training.run.Checkpoint;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.PatchDiscriminator;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import dev.ibq.training.weights.Safetensors;
import dev.ibq.training.weights.TensorData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
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

  @Test
  void aReferenceShapedCheckpointCarriesReferenceYamlAndItsModelLoadsStrictlyIntoTheReferenceModules() throws Exception {
    Path fixtureYaml = Path.of(TokenizerCheckpointTest.class.getResource("/reference/tiny-ibq.yaml").toURI());
    TokenizerArchitecture arch = ReferenceConfig.read(fixtureYaml).architecture();
    TokenizerTrainingConfig config = TokenizerPresets.get("fmnist-cpu").withOverrides(
        Map.of("architecture", RecordTree.toTree(arch)), "test", List.of());
    Path run = dir.resolve("run");
    Path written;
    try (NDManager manager = NDManager.newBaseManager()) {
      IbqTokenizerModel model = IbqTokenizerModel.create(arch, manager);
      IbqTokenizerModel ema = IbqTokenizerModel.create(arch, manager);
      PatchDiscriminator d = new PatchDiscriminator(manager, arch.inChannels(), 8, 1);
      TrainingState state = new TrainingState(3, 0, 12, 0, 0, 3, 3, 3, "x", "cpu", 1);
      written = TokenizerCheckpoint.save(run, new TokenizerCheckpoint.Contents(config, state, model, ema, d,
          AdamW.adam(model.parameters(), manager, 0.5, 0.9, 1e-8, Map.of()),
          AdamW.adam(d.parameters(), manager, 0.5, 0.9, 1e-8, Map.of()), CodeUsage.lastSteps(arch.codebookSize(), 2)));
      Path yaml = written.resolve(TokenizerCheckpoint.REFERENCE_YAML);
      assertThat(ReferenceConfig.read(yaml).architecture()).isEqualTo(arch);
      // The importer, which reads reference checkpoints, takes model.safetensors + reference.yaml as they are.
      TokenizerImporter.Loaded back = TokenizerImporter.load(
          TokenizerImporter.Request.of(written.resolve("model.safetensors"), yaml), manager);
      assertSame(ema.stateDict(), back.model().stateDict());
    }
    assertThat(Files.readSymbolicLink(run.resolve("checkpoints/last")).toString()).isEqualTo("step-3");

    String python = dev.ibq.training.importer.PythonForTests.withTorch();
    Assumptions.assumeTrue(python != null, "python3 with torch, numpy, yaml and PIL is not installed: the strict load into the"
        + " PyTorch reference modules is skipped.");
    Path images = Path.of(TokenizerCheckpointTest.class.getResource("/reference/images").toURI());
    Process process = new ProcessBuilder(python, "src/test/python/make_reference_fixture.py", "check", "--weights",
            written.resolve("model.safetensors").toString(), "--images", images.toString(), "--config",
            written.resolve(TokenizerCheckpoint.REFERENCE_YAML).toString())
        .redirectOutput(dir.resolve("check.json").toFile())
        .redirectError(dir.resolve("check.err").toFile())
        .start();
    assertThat(process.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
    assertThat(process.exitValue()).as("the PyTorch check failed: %s", Files.readString(dir.resolve("check.err"))).isZero();
    assertThat(Files.readString(dir.resolve("check.json"))).contains("<All keys matched successfully>");
  }

  @Test
  void theUtilizationWindowRoundTripsThroughItsTensorsAndBadOnesAreRefused() {
    CodeUsage window = CodeUsage.lastSteps(8, 2);
    window.addStep(new int[] {0, 1, 1});
    window.addStep(new int[] {2});
    window.addStep(new int[] {2, 3, 7, 7}); // the first step leaves the window
    CodeUsage back = CodeUsage.lastSteps(8, 2);
    TokenizerCheckpoint.restoreCodeWindow(TokenizerCheckpoint.codeWindow(window), back, dir);
    assertThat(back.recentSteps()).containsExactly(new int[] {2}, new int[] {2, 3, 7, 7});
    assertThat(back.usedCodes()).isEqualTo(window.usedCodes()).isEqualTo(3);
    back.addStep(new int[] {5}); // and it goes on evicting as the saved one would
    window.addStep(new int[] {5});
    assertThat(back.usedCodes()).isEqualTo(window.usedCodes()).isEqualTo(4);

    Map<String, TensorData> saved = TokenizerCheckpoint.codeWindow(window);
    assertThatThrownBy(() -> TokenizerCheckpoint.restoreCodeWindow(Map.of("lengths", saved.get("lengths")), CodeUsage.lastSteps(8, 2), dir))
        .hasMessageContaining("must hold the integer tensors 'lengths' and 'indices'");
    Map<String, TensorData> shortIndices = Map.of("lengths", saved.get("lengths"),
        "indices", TensorData.ofInts(new long[] {2}, new int[] {1, 2}));
    assertThatThrownBy(() -> TokenizerCheckpoint.restoreCodeWindow(shortIndices, CodeUsage.lastSteps(8, 2), dir))
        .hasMessageContaining("the step lengths add up to 5 indices, the file holds 2");
    assertThatThrownBy(() -> TokenizerCheckpoint.restoreCodeWindow(saved, CodeUsage.lastSteps(4, 2), dir))
        .hasMessageContaining("Code index 7");
  }

  private static void assertSame(Map<String, NDArray> expected, Map<String, NDArray> actual) {
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    expected.forEach((key, value) -> {
      assertThat(actual.get(key).getDataType()).as(key).isEqualTo(value.getDataType());
      assertThat(actual.get(key).toByteBuffer()).as(key).isEqualTo(value.toByteBuffer());
    });
  }
}
