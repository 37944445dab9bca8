package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's named variants, the codebook learning-rate scale and old stored configs. */
class QuantizerVariantTest {

  @TempDir Path dir;

  private static UtilizationBenchmark.Plan plan(List<QuantizerVariant> variants) {
    return new UtilizationBenchmark.Plan("fmnist-cpu", List.of("steps=10"), variants, List.of(4096), Path.of("runs"),
        Path.of("results"), "test");
  }

  @Test
  void variantsBuildTheirConfigsAndThePublishedOnesStayAsPublished() {
    QuantizerVariant ibq = QuantizerVariant.get("IBQ");
    QuantizerVariant vq = QuantizerVariant.get("vq");
    QuantizerVariant remedy = QuantizerVariant.get("IBQ-CB10");
    TokenizerTrainingConfig ibqConfig = UtilizationBenchmark.configFor(plan(List.of(ibq)), ibq, 4096);
    TokenizerTrainingConfig vqConfig = UtilizationBenchmark.configFor(plan(List.of(vq)), vq, 4096);
    TokenizerTrainingConfig remedyConfig = UtilizationBenchmark.configFor(plan(List.of(remedy)), remedy, 4096);

    assertThat(ibqConfig.optimizer()).isEqualTo(OptimizerSettings.paper());
    assertThat(ibqConfig.architecture().codebookSize()).isEqualTo(4096);
    assertThat(ibqConfig.steps()).isEqualTo(10);
    assertThat(ibqConfig.losses().entropy()).isEqualTo(LossWeights.paper().entropy());
    assertThat(vqConfig.architecture().quantizer()).isEqualTo("VQ");
    assertThat(vqConfig.losses().entropy()).isZero();
    assertThat(remedyConfig.optimizer().codebookLrScale()).isEqualTo(10.0);
    assertThat(remedyConfig.architecture().quantizer()).isEqualTo("IBQ");
    assertThat(ibq.published()).isTrue();
    assertThat(vq.published()).isTrue();
    assertThat(remedy.published()).isFalse();
  }

  @Test
  void anUnknownVariantIsAnErrorListingTheKnownOnes() {
    assertThatThrownBy(() -> QuantizerVariant.get("FSQ"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'FSQ'")
        .hasMessageContaining("IBQ, VQ, IBQ-CB10");
  }

  @Test
  void theCodebookScaleIsValidatedAndOnlyReachesTheCodebook() {
    assertThatThrownBy(() -> new OptimizerSettings(1e-4, 0.5, 0.9, 1e-8, 0, 0))
        .hasMessageContaining("codebook_lr_scale");
    TokenizerTrainingConfig paper = TokenizerPresets.get("fmnist-cpu");
    assertThat(TokenizerTrainer.codebookScale(paper)).isEmpty();
    TokenizerTrainingConfig scaled = paper.withOverrides(Map.of(), "", List.of("optimizer.codebook_lr_scale=30"));
    assertThat(TokenizerTrainer.codebookScale(scaled)).containsEntry("quantize.embedding.weight", 30.0).hasSize(1);
  }

  @Test
  void aStoredConfigWrittenBeforeTheCodebookScaleExistedLoadsWithScaleOne() throws Exception {
    Path file = dir.resolve("config.yaml");
    ConfigFiles.write(TokenizerPresets.get("fmnist-cpu"), file);
    String old = Files.readString(file).replaceAll("(?m)^\\s*codebook_lr_scale:.*\\n", "");
    assertThat(old).doesNotContain("codebook_lr_scale");
    Files.writeString(file, old);
    assertThat(ConfigFiles.readComplete(file)).isEqualTo(TokenizerPresets.get("fmnist-cpu"));
  }

  @Test
  void codebookDriftIsTheRelativeRmsChange() {
    assertThat(TokenizerTrainer.codebookDrift(new float[] {1, -1, 1, -1}, new float[] {1, -1, 1, -1})).isZero();
    assertThat(TokenizerTrainer.codebookDrift(new float[] {2, 0}, new float[] {2, 1})).isEqualTo(0.5);
  }
}
