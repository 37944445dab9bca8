package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.training.data.ImageBatches;
import dev.ibq.training.report.MetricsLog;
import dev.ibq.training.run.Checkpoint;
import dev.ibq.training.run.StopRequest;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trains a tiny tokenizer for two steps on real Fashion-MNIST images through the real trainer, then
 * checks checkpoints, loading and resume. Architecture shrunk so that everything takes seconds.
 */
class TokenizerTrainerTest {

  @TempDir static Path dir;
  static TokenizerTrainingConfig config;
  static TrainingResult twoSteps;

  static TokenizerTrainingConfig tiny() {
    return TokenizerPresets.get("fmnist-cpu").withOverrides(Map.of(), "", List.of(
        "architecture.ch=16", "architecture.ch_mult=[1,2]", "architecture.attn_resolutions=[16]", "architecture.z_channels=16",
        "architecture.code_dim=16", "architecture.codebook_size=64", "batch_size=4", "steps=2", "log_every=1",
        "checkpoint_every=1", "figure_every=0", "eval_images=16", "grid_images=4", "seed=3"));
  }

  private static final String ADAM = "adam:";

  /** A weight set, or with the prefix {@link #ADAM} an optimizer's moments, of a checkpoint directory. */
  static Map<String, NDArray> read(Path checkpoint, String set, NDManager manager) {
    Checkpoint c = Checkpoint.open(checkpoint, Checkpoint.Stage.TOKENIZER);
    return set.startsWith(ADAM) ? c.optimizerTensors(set.substring(ADAM.length()), manager) : c.tensors(set, manager);
  }

  static TrainingOptions options() {
    return TrainingOptions.defaults().withDevice("cpu").withProgressBar(false);
  }

  @BeforeAll
  static void trainTwoSteps() {
    // One libtorch thread: the test machine is shared, and OpenMP spin-waiting on a busy machine is slow.
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    config = tiny();
    twoSteps = TokenizerTrainer.run(config, dir.resolve("a"), options());
  }

  @Test
  void twoStepsWriteFiniteMetricsCheckpointsAndFigures() throws Exception {
    assertThat(twoSteps.finalStep()).isEqualTo(2);
    List<Map<String, Double>> rows = MetricsLog.read(twoSteps.metricsLog());
    assertThat(rows).hasSize(2);
    for (Map<String, Double> row : rows) {
      for (String key : List.of("loss", "l1", "quant", "entropy", "d_loss", "g_adv", "utilization", "images_per_s")) {
        assertThat(row.get(key)).as(key).isNotNull().isFinite();
      }
      assertThat(row.get("l1")).isPositive();
      assertThat(row.get("d_loss")).isPositive();
    }
    assertThat(rows.get(1).get("step")).isEqualTo(2.0);
    Path run = dir.resolve("a");
    assertThat(run.resolve("checkpoints/step-1/state.json")).exists();
    assertThat(run.resolve("checkpoints/step-2/model.safetensors")).exists();
    assertThat(run.resolve("checkpoints/step-2/checkpoint.json")).exists();
    assertThat(Files.readSymbolicLink(run.resolve("checkpoints/last")).toString()).isEqualTo("step-2");
    assertThat(twoSteps.lastCheckpoint()).isEqualTo(run.resolve("checkpoints/step-2"));
    assertThat(run.resolve("config.yaml")).exists();
    assertThat(run.resolve(TokenizerTrainer.GRID_FILE)).isNotEmptyFile();
    assertThat(run.resolve(TokenizerTrainer.CURVES_FILE)).isNotEmptyFile();
    assertThat(run.resolve(TokenizerTrainer.EVALUATION_FILE)).isNotEmptyFile();
    assertThat(TokenizerCheckpoint.readState(twoSteps.lastCheckpoint()).generatorAdamUpdates()).isEqualTo(2);
  }

  @Test
  void trainingChangesGeneratorCodebookAndDiscriminatorWeights() {
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed((int) config.seed());
      IbqTokenizerModel initial = IbqTokenizerModel.create(config.architecture(), manager);
      Map<String, NDArray> trained =
          read(twoSteps.lastCheckpoint(), TokenizerCheckpoint.GENERATOR, manager);
      int changed = 0;
      for (Map.Entry<String, NDArray> e : initial.stateDict().entrySet()) {
        if (!e.getValue().allClose(trained.get(e.getKey()), 0, 0, false)) {
          changed++;
        }
      }
      // Same seed -> same initialisation, so a difference is the optimiser's doing. Every tensor gets a gradient.
      assertThat(changed).isEqualTo(initial.stateDict().size());
      // IBQ: every codebook row moved, not only the selected ones.
      NDArray before = initial.quantizer().embedding();
      NDArray after = trained.get("quantize.embedding.weight");
      NDArray rowMoved = after.sub(before).abs().sum(new int[] {1}).gt(0);
      assertThat(rowMoved.sum().getLong()).isEqualTo(config.architecture().codebookSize());

      Map<String, NDArray> ema = read(twoSteps.lastCheckpoint(), TokenizerCheckpoint.EMA, manager);
      assertThat(ema.get("quantize.embedding.weight").allClose(after, 0, 0, false)).isFalse();
      Map<String, NDArray> d = read(twoSteps.lastCheckpoint(), TokenizerCheckpoint.DISCRIMINATOR, manager);
      assertThat(d).containsKey("main.0.weight");
    }
  }

  @Test
  void loadedEmaCheckpointReproducesTheTrainersEvaluationExactly() throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      TokenizerCheckpoint.Loaded loaded = TokenizerCheckpoint.load(dir.resolve("a"), manager);
      assertThat(loaded.config()).isEqualTo(config);
      assertThat(loaded.preprocessing()).isEqualTo(PreprocessingSpec.fashionMnist32());
      assertThat(loaded.step()).isEqualTo(2);
      EvaluationResult again = TokenizerEvaluator.evaluate(
          loaded.model(), new dev.ibq.training.data.FashionMnistImages(FashionMnist.load(FashionMnist.Split.TEST)), new Preprocessor(loaded.preprocessing()), config.evalImages(),
          0, null, 2, manager);
      EvaluationResult original = twoSteps.evaluation();
      assertThat(again.usedCodes()).isEqualTo(original.usedCodes());
      assertThat(again.psnr()).isEqualTo(original.psnr());
      assertThat(again.ssim()).isEqualTo(original.ssim());

      // Raw and EMA weights load into models that give identical outputs on a second load.
      NDArray images = ImageBatches.batch(
          FashionMnist.load(FashionMnist.Split.TEST), new Preprocessor(loaded.preprocessing()), new int[] {0, 1, 2}, manager);
      for (boolean useEma : new boolean[] {true, false}) {
        IbqTokenizerModel a = TokenizerCheckpoint.load(twoSteps.lastCheckpoint(), manager, useEma).model();
        IbqTokenizerModel b = TokenizerCheckpoint.load(twoSteps.lastCheckpoint(), manager, useEma).model();
        NDArray outA = a.decodeIndices(a.encodeIndices(images));
        NDArray outB = b.decodeIndices(b.encodeIndices(images));
        assertThat(outA.allClose(outB, 0, 0, false)).isTrue();
        assertThat(a.encodeIndices(images).toIntArray()).containsExactly(b.encodeIndices(images).toIntArray());
      }
    }
  }

  @Test
  void resumeContinuesAtTheSavedStepAndMatchesAnUninterruptedRun() {
    Path step1 = dir.resolve("a/checkpoints/step-1");
    TrainingResult resumed = TokenizerTrainer.run(null, dir.resolve("b"), options().withResume(step1).withEvaluate(false));
    assertThat(resumed.startStep()).isEqualTo(1);
    assertThat(resumed.finalStep()).isEqualTo(2);
    assertThat(resumed.config()).isEqualTo(config);
    assertThat(MetricsLog.read(resumed.metricsLog())).extracting(r -> r.get("step")).containsExactly(2.0);
    // The logged utilization window continues across the resume: step 2's row counts the codes of steps 1 and 2.
    Map<String, Double> straight = MetricsLog.read(dir.resolve("a/metrics.jsonl")).get(1);
    Map<String, Double> continuedRow = MetricsLog.read(resumed.metricsLog()).get(0);
    assertThat(continuedRow.get("used_codes")).isEqualTo(straight.get("used_codes"));
    assertThat(continuedRow.get("utilization")).isEqualTo(straight.get("utilization"));
    try (NDManager manager = NDManager.newBaseManager()) {
      for (String file : List.of(TokenizerCheckpoint.GENERATOR, TokenizerCheckpoint.EMA, ADAM + TokenizerCheckpoint.GENERATOR)) {
        Map<String, NDArray> uninterrupted = read(dir.resolve("a/checkpoints/step-2"), file, manager);
        Map<String, NDArray> continued = read(resumed.lastCheckpoint(), file, manager);
        for (Map.Entry<String, NDArray> e : uninterrupted.entrySet()) {
          assertThat(continued.get(e.getKey()).allClose(e.getValue(), 0, 0, false)).as(file + " " + e.getKey()).isTrue();
        }
      }
      TrainingState a = TokenizerCheckpoint.readState(dir.resolve("a/checkpoints/step-2"));
      TrainingState b = TokenizerCheckpoint.readState(resumed.lastCheckpoint());
      assertThat(b.dataOffset()).isEqualTo(a.dataOffset());
      assertThat(b.lecamRealEma()).isCloseTo(a.lecamRealEma(), within(1e-6));
    }
    assertThatThrownBy(() -> TokenizerTrainer.run(null, dir.resolve("c"), options().withResume(dir.resolve("a"))))
        .hasMessageContaining("is at step 2, and the run has 2 steps");
  }

  @Test
  void aStopRequestCheckpointsAfterTheCurrentStepAndResumingFinishesTheSameRun() throws Exception {
    // A stop requested before the first step (as a signal arriving during it would be): the run finishes
    // that step, writes an unscheduled checkpoint, and returns early without the final evaluation.
    TokenizerTrainingConfig noSchedule = config.withOverrides(Map.of(), "", List.of("checkpoint_every=0"));
    StopRequest stop = StopRequest.none();
    stop.requestStop("INT");
    TrainingResult stopped = TokenizerTrainer.run(noSchedule, dir.resolve("d"), options().withStop(stop));
    assertThat(stopped.stoppedEarly()).isTrue();
    assertThat(stopped.stoppedBy()).isEqualTo("INT");
    assertThat(stopped.finalStep()).isEqualTo(1);
    assertThat(stopped.evaluation()).isNull();
    assertThat(stopped.lastCheckpoint()).isEqualTo(dir.resolve("d/checkpoints/step-1"));
    assertThat(MetricsLog.read(stopped.metricsLog())).extracting(r -> r.get("step")).containsExactly(1.0);

    TrainingResult resumed = TokenizerTrainer.run(null, null, options().withResume(dir.resolve("d")).withEvaluate(false));
    assertThat(resumed.stoppedEarly()).isFalse();
    assertThat(resumed.finalStep()).isEqualTo(2);
    assertThat(MetricsLog.read(resumed.metricsLog())).extracting(r -> r.get("step")).containsExactly(1.0, 2.0);
    assertThat(Files.readSymbolicLink(dir.resolve("d/checkpoints/last")).toString()).isEqualTo("step-2");
    try (NDManager manager = NDManager.newBaseManager()) {
      for (String file : List.of(TokenizerCheckpoint.GENERATOR, TokenizerCheckpoint.EMA,
          TokenizerCheckpoint.DISCRIMINATOR, ADAM + TokenizerCheckpoint.GENERATOR, ADAM + TokenizerCheckpoint.DISCRIMINATOR)) {
        Map<String, NDArray> uninterrupted = read(dir.resolve("a/checkpoints/step-2"), file, manager);
        Map<String, NDArray> continued = read(resumed.lastCheckpoint(), file, manager);
        assertThat(continued.keySet()).isEqualTo(uninterrupted.keySet());
        for (Map.Entry<String, NDArray> e : uninterrupted.entrySet()) {
          // Bit for bit: libtorch's CPU kernels are deterministic for one thread, and checkpoints hold the exact bytes.
          assertThat(continued.get(e.getKey()).allClose(e.getValue(), 0, 0, false)).as(file + " " + e.getKey()).isTrue();
        }
      }
    }
  }
}
