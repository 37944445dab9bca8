package dev.ibq.training.quantizerkind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.model.TokenizerMetadata;
import dev.ibq.training.export.ParityCheck;
import dev.ibq.training.export.TokenizerExporter;
import dev.ibq.training.report.MetricsLog;
import dev.ibq.training.tokenizer.QuantizerKinds;
import dev.ibq.training.tokenizer.train.LossWeights;
import dev.ibq.training.tokenizer.train.TokenizerCheckpoint;
import dev.ibq.training.tokenizer.train.TokenizerPresets;
import dev.ibq.training.tokenizer.train.TokenizerTrainer;
import dev.ibq.training.tokenizer.train.TokenizerTrainingConfig;
import dev.ibq.training.tokenizer.train.TrainingOptions;
import dev.ibq.training.tokenizer.train.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof that the quantizer owns itself: {@link ScaledNearestQuantizer}, registered here and nowhere in
 * {@code src/main}, trains through the unchanged {@link TokenizerTrainer} (which sums and logs its loss terms and
 * diagnostics without knowing their names), reloads from its checkpoint, and exports through the unchanged
 * {@link TokenizerExporter} with the kind's own score nodes, matching the DJL model on real images.
 */
class ThirdQuantizerKindTest {

  @TempDir static Path dir;
  static TokenizerTrainingConfig config;
  static TrainingResult trained;

  @BeforeAll
  static void trainTwoStepsWithAKindTheTrainerHasNeverSeen() {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    QuantizerKinds.register(ScaledNearestQuantizer.KIND);
    config = TokenizerPresets.get("fmnist-cpu").withOverrides(Map.of(), "", List.of(
        "architecture.quantizer=nn-scaled", "architecture.ch=16", "architecture.ch_mult=[1,2]",
        "architecture.attn_resolutions=[16]", "architecture.z_channels=16", "architecture.code_dim=16",
        "architecture.codebook_size=64", "losses.quantization=0.5", "batch_size=4", "steps=2", "log_every=1",
        "checkpoint_every=0", "figure_every=0", "eval_images=16", "grid_images=4", "seed=5"));
    trained = TokenizerTrainer.run(config, dir.resolve("run"), TrainingOptions.defaults().withDevice("cpu").withProgressBar(false));
  }

  @Test
  void theConfigNamesTheKindInItsOwnSpelling() {
    assertThat(config.architecture().quantizer()).isEqualTo("NN-SCALED");
    assertThat(config.architecture().quantizerKind()).isSameAs(ScaledNearestQuantizer.KIND);
  }

  @Test
  void theTrainerSumsAndLogsLossTermsAndDiagnosticsItDoesNotKnowByName() throws Exception {
    List<Map<String, Double>> rows = MetricsLog.read(trained.metricsLog());
    assertThat(rows).hasSize(2);
    LossWeights w = config.losses();
    for (Map<String, Double> row : rows) {
      // Only its own columns: none of IBQ's or VQ's, not even the default batch_perplexity it chose not to report.
      assertThat(row).doesNotContainKeys("quant", "entropy", "p_max_mean", "batch_perplexity");
      for (String key : List.of("codebook_pull", "encoder_commit", "mean_sq_distance", "codebook_norm_mean")) {
        assertThat(row.get(key)).as(key).isNotNull().isFinite();
      }
      assertThat(row.get("codebook_pull")).isPositive();
      // One step per row: the logged total is exactly the weighted sum of the logged terms.
      double expected = w.l1() * row.get("l1")
          + w.quantization() * (row.get("codebook_pull") + row.get("encoder_commit"))
          + w.adversarial() * row.get("g_adv");
      assertThat(row.get("loss")).isCloseTo(expected, within(1e-5 * Math.abs(expected)));
      // Both terms have the forward value MSE(z, C[index]); the diagnostic is D times it (sum over D, mean over N).
      assertThat(row.get("encoder_commit")).isCloseTo(row.get("codebook_pull"), within(1e-6));
      assertThat(row.get("mean_sq_distance")).isCloseTo(16 * row.get("codebook_pull"), within(1e-4 * row.get("mean_sq_distance")));
    }
  }

  @Test
  void aTermNamedLikeOneOfTheTrainersOwnColumnsIsAnErrorNotAnOverwrite() {
    QuantizerKinds.register(ScaledNearestQuantizer.CLASHING_KIND);
    TokenizerTrainingConfig clash = config.withOverrides(Map.of(), "", List.of("architecture.quantizer=nn-clash", "steps=1"));
    assertThatThrownBy(() -> TokenizerTrainer.run(
            clash, dir.resolve("clash"), TrainingOptions.defaults().withDevice("cpu").withProgressBar(false).withEvaluate(false)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("The quantizer NN-CLASH reports a loss term or diagnostic named 'l1'");
  }

  @Test
  void lossTermsNameTheirWeightsByConfigKey() {
    LossWeights paper = LossWeights.paper();
    assertThat(paper.weight("quantization")).isEqualTo(paper.quantization());
    assertThat(paper.weight("entropy")).isEqualTo(0.05);
    assertThatThrownBy(() -> paper.weight("commitment")).hasMessageContaining("losses.commitment, which does not exist");
    assertThatThrownBy(() -> paper.weight("lecam")).hasMessageContaining("the generator's loss weights are");
  }

  @Test
  void theCheckpointReloadsAndExportsThroughTheKindsOwnGraph() throws Exception {
    PreprocessingSpec spec = PreprocessingSpec.fashionMnist32();
    float[] images = ParityCheck.fashionMnist(FashionMnist.Split.TEST, 32, spec);
    try (NDManager manager = NDManager.newBaseManager()) {
      TokenizerCheckpoint.Loaded loaded = TokenizerCheckpoint.load(trained.lastCheckpoint(), manager);
      assertThat(loaded.config()).isEqualTo(config);
      assertThat(loaded.model().quantizer()).isInstanceOf(ScaledNearestQuantizer.class);
      Path export = dir.resolve("export");
      TokenizerExporter.export(
          loaded.model(), new TokenizerExporter.Description("third-kind", spec.toCanonicalString(), "{}", 24), export);

      ModelProto encoder = ModelProto.parseFrom(Files.readAllBytes(export.resolve(TokenizerMetadata.ENCODER_FILE)));
      List<String> ops = encoder.getGraph().getNodeList().stream().map(NodeProto::getName).toList();
      // K 64 in chunks of 24: three chunks, each scored by the kind's MatMul, Mul and Sub.
      for (int c = 0; c < 3; c++) {
        assertThat(ops).contains("nn_scaled_doubled_" + c + "_Mul", "nn_scaled_scores_" + c + "_Sub");
      }

      ParityCheck.Result r = ParityCheck.run(
          loaded.model(), export, images, 32, 8, new OnnxTokenizer.Options(ExecutionProvider.CPU, 1, 1));
      assertThat(r.positions()).isEqualTo(32 * 256L);
      assertThat(r.passed()).as(r.summary()).isTrue();
    }
  }
}
