package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.training.report.MetricsLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The perceptual loss through the config: {@code losses.perceptual} and {@code losses.perceptual_network}, two
 * training steps on real Fashion-MNIST (32x32 gray) with the committed reduced-width LPIPS-VGG fixture network,
 * the no-download {@code random-conv} option, and the errors a user meets on the way.
 */
class PerceptualTrainingTest {

  static final Path FIXTURE = Path.of("src/test/resources/lpips/lpips-vgg-tiny.safetensors").toAbsolutePath();

  @TempDir static Path dir;

  @BeforeAll
  static void oneThread() {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
  }

  static TokenizerTrainingConfig with(String... assignments) {
    return TokenizerTrainerTest.tiny().withOverrides(Map.of(), "", List.of(assignments));
  }

  static TrainingOptions options() {
    return TokenizerTrainerTest.options().withEvaluate(false);
  }

  @Test
  void lpipsFromTheConfigIsTrainedOnAndLoggedWithoutChangingTheInitialisation() throws Exception {
    TokenizerTrainingConfig config = with("losses.perceptual=1", "losses.perceptual_network=lpips-vgg:" + FIXTURE);
    TrainingResult withLpips = TokenizerTrainer.run(config, dir.resolve("lpips"), options());
    TrainingResult without = TokenizerTrainer.run(TokenizerTrainerTest.tiny(), dir.resolve("off"), options());
    List<Map<String, Double>> rows = MetricsLog.read(withLpips.metricsLog());
    List<Map<String, Double>> off = MetricsLog.read(without.metricsLog());
    assertThat(rows).hasSize(2);
    for (Map<String, Double> row : rows) {
      assertThat(row.get("perceptual")).as("step %s", row.get("step")).isFinite().isPositive();
      // The logged total holds the perceptual term: loss >= l1 + perceptual (the other terms are non-negative).
      assertThat(row.get("loss")).isGreaterThan(row.get("l1") + row.get("perceptual"));
    }
    assertThat(off.get(0).get("perceptual")).isZero();
    // Same seed, same initial weights and batch whatever the perceptual network: the first discriminator loss and
    // L1 (computed before any update of the generator) agree; the perceptual term changes what follows.
    assertThat(rows.get(0).get("d_loss")).isEqualTo(off.get(0).get("d_loss"));
    assertThat(rows.get(0).get("l1")).isEqualTo(off.get(0).get("l1"));
    assertThat(rows.get(1).get("l1")).isNotEqualTo(off.get(1).get("l1"));
    // The run's stored config names the network, so a resume trains with the same loss.
    String stored = Files.readString(dir.resolve("lpips").resolve(ConfigFiles.CONFIG_FILE));
    assertThat(stored).contains("perceptual_network: lpips-vgg:" + FIXTURE);
    assertThat(ConfigFiles.readComplete(dir.resolve("lpips").resolve(ConfigFiles.CONFIG_FILE)).losses().perceptualNetwork())
        .isEqualTo("lpips-vgg:" + FIXTURE);
  }

  @Test
  void randomConvNeedsNoDownload() {
    TokenizerTrainingConfig config = with("losses.perceptual=1", "losses.perceptual_network=random-conv", "steps=1");
    TrainingResult result = TokenizerTrainer.run(config, dir.resolve("random-conv"), options());
    assertThat(MetricsLog.read(result.metricsLog()).get(0).get("perceptual")).isFinite().isPositive();
  }

  @Test
  void mistakesAreFullSentencesBeforeTraining() {
    assertThatThrownBy(() -> TokenizerTrainer.run(with("losses.perceptual=1"), dir.resolve("x"), options()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("losses.perceptual is 1.0 but losses.perceptual_network is none");
    Path absent = dir.resolve("nowhere/lpips-vgg.safetensors");
    assertThatThrownBy(() -> TokenizerTrainer.run(
            with("losses.perceptual=1", "losses.perceptual_network=lpips-vgg:" + absent), dir.resolve("y"), options()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("there is no file " + absent)
        .hasMessageContaining("convert_lpips_vgg.py");
    assertThat(dir.resolve("y")).doesNotExist();
    assertThatThrownBy(() -> with("losses.perceptual_network=vgg"))
        .hasMessageContaining("losses.perceptual_network is 'vgg'; expected none, random-conv");
    assertThatThrownBy(() -> with("losses.perceptual_network='lpips-vgg:'"))
        .hasMessageContaining("with no file after 'lpips-vgg:'");
  }

  @Test
  void configsStoredBeforeTheOptionLoadWithoutPerceptualNetwork() throws Exception {
    Path legacy = TokenizerCheckpointTest.LEGACY.resolve(ConfigFiles.CONFIG_FILE);
    assertThat(Files.readString(legacy)).doesNotContain("perceptual_network");
    assertThat(ConfigFiles.readComplete(legacy).losses().perceptualNetwork()).isEqualTo(PerceptualNetworks.NONE);
    assertThat(TokenizerPresets.get("fmnist-sharp").losses().perceptualNetwork()).isEqualTo(PerceptualNetworks.NONE);
  }
}
