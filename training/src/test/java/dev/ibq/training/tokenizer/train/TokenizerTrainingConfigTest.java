package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTrainingConfigTest {

  @TempDir Path dir;

  @Test
  void yamlOverridesNestedAndDottedKeysAndLeavesTheRest() throws Exception {
    Path yaml = dir.resolve("c.yaml");
    Files.writeString(yaml, """
        steps: 3000
        architecture:
          codebook_size: 4096
          ch_mult: [1, 2]
        losses.entropy: 0.1
        optimizer:
          learning_rate: 2e-4
        """);
    TokenizerTrainingConfig base = TokenizerPresets.get("fmnist-cpu");
    TokenizerTrainingConfig c = base.withOverrides(ConfigFiles.readTree(yaml), yaml.toString(), List.of("seed=7", "architecture.quantizer=vq"));

    assertThat(c.steps()).isEqualTo(3000);
    assertThat(c.architecture().codebookSize()).isEqualTo(4096);
    assertThat(c.architecture().chMult()).containsExactly(1, 2);
    assertThat(c.architecture().quantizer()).isEqualTo("VQ");
    assertThat(c.losses().entropy()).isEqualTo(0.1);
    assertThat(c.optimizer().learningRate()).isEqualTo(2e-4);
    assertThat(c.seed()).isEqualTo(7L);
    assertThat(c.batchSize()).isEqualTo(base.batchSize());
    assertThat(c.architecture().codeDim()).isEqualTo(base.architecture().codeDim());
  }

  @Test
  void unknownKeyIsAnErrorNamingItAndTheKnownKeys() throws Exception {
    Path yaml = dir.resolve("c.yaml");
    Files.writeString(yaml, "architecture:\n  codebok_size: 4096\n");
    TokenizerTrainingConfig base = TokenizerPresets.get("fmnist-cpu");
    assertThatThrownBy(() -> base.withOverrides(ConfigFiles.readTree(yaml), yaml.toString(), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown key 'architecture.codebok_size'")
        .hasMessageContaining("codebook_size");
    assertThatThrownBy(() -> base.withOverrides(Map.of(), "", List.of("learning_rate=1")))
        .hasMessageContaining("unknown key 'learning_rate'");
    assertThatThrownBy(() -> base.withOverrides(Map.of(), "", List.of("steps.max=1")))
        .hasMessageContaining("'steps' holds an integer, not a section");
  }

  @Test
  void wrongTypeIsAnErrorNamingTheKeyAndTheExpectedType() throws Exception {
    Path yaml = dir.resolve("c.yaml");
    Files.writeString(yaml, "batch_size: many\n");
    TokenizerTrainingConfig base = TokenizerPresets.get("fmnist-cpu");
    assertThatThrownBy(() -> base.withOverrides(ConfigFiles.readTree(yaml), yaml.toString(), List.of()))
        .hasMessageContaining("key 'batch_size' expects an integer, got the text 'many'");
    assertThatThrownBy(() -> base.withOverrides(Map.of(), "", List.of("architecture.ch_mult=3")))
        .hasMessageContaining("key 'architecture.ch_mult' expects a list of integers");
    assertThatThrownBy(() -> base.withOverrides(Map.of(), "", List.of("losses.discriminator=maybe")))
        .hasMessageContaining("key 'losses.discriminator' expects true or false");
    assertThatThrownBy(() -> base.withOverrides(Map.of(), "", List.of("architecture.quantizer=FSQ")))
        .hasMessageContaining("key 'architecture.quantizer' expects one of IBQ, VQ");
    assertThatThrownBy(() -> base.withOverrides(Map.of(), "", List.of("steps=2.5")))
        .hasMessageContaining("key 'steps' expects an integer");
  }

  @Test
  void invalidValueIsRefusedByTheRecord() {
    TokenizerTrainingConfig base = TokenizerPresets.get("fmnist-cpu");
    assertThatThrownBy(() -> base.withOverrides(Map.of(), "", List.of("ema_decay=1.5")))
        .hasMessageContaining("ema_decay is 1.5");
  }

  @Test
  void storedConfigRoundTripsAndMustBeComplete() throws Exception {
    TokenizerTrainingConfig c = TokenizerPresets.get("fmnist-cpu-vq").withSteps(17);
    Path file = dir.resolve("config.yaml");
    ConfigFiles.write(c, file);
    assertThat(ConfigFiles.readComplete(file)).isEqualTo(c);

    Files.writeString(file, Files.readString(file).replace("batch_size: 32\n", ""));
    assertThatThrownBy(() -> ConfigFiles.readComplete(file)).hasMessageContaining("key 'batch_size' is missing");
  }

  @Test
  void presetRegistryIsClosed() {
    assertThat(TokenizerPresets.names()).contains("fmnist-cpu", "fmnist-cpu-vq", "fmnist-sharp", "imagenet-paper");
    assertThatThrownBy(() -> TokenizerPresets.get("fmnist-gpu"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Unknown tokenizer preset 'fmnist-gpu'")
        .hasMessageContaining("fmnist-cpu, fmnist-cpu-vq, fmnist-sharp, rgb-cpu, imagenet-paper");
  }

  @Test
  void presetsFollowThePaperRecipe() {
    TokenizerTrainingConfig paper = TokenizerPresets.get("imagenet-paper");
    assertThat(paper.architecture().resolution()).isEqualTo(256);
    assertThat(paper.architecture().ch()).isEqualTo(128);
    assertThat(paper.architecture().chMult()).containsExactly(1, 1, 2, 2, 4);
    assertThat(paper.architecture().codebookSize()).isEqualTo(16384);
    assertThat(paper.architecture().codeDim()).isEqualTo(256);
    assertThat(paper.emaDecay()).isEqualTo(0.999);
    // The paper's drops: x0.1 at the end of epochs 250 and 300 of 330 (5005 steps of batch 256 per epoch).
    assertThat(paper.optimizer().lrDropSteps()).containsExactly(250 * 5005, 300 * 5005);
    assertThat(paper.steps()).isEqualTo(330 * 5005);
    for (String name : List.of("fmnist-cpu", "fmnist-cpu-vq", "imagenet-paper")) {
      TokenizerTrainingConfig c = TokenizerPresets.get(name);
      assertThat(c.optimizer().withLrDrops(List.of())).isEqualTo(new OptimizerSettings(1e-4, 0.5, 0.9, 1e-8, 0.0, 1.0));
      assertThat(c.optimizer().lrDropFactor()).isEqualTo(0.1);
      assertThat(c.losses().adversarial()).isEqualTo(0.1);
      assertThat(c.losses().lecam()).isEqualTo(0.05);
      assertThat(c.losses().discriminatorStartStep()).isZero();
      assertThat(c.emaWarmup()).as("the paper's EMA has a fixed decay").isFalse();
    }
    // fmnist-sharp: the paper's losses with its two named departures and the paper's drop proportions.
    TokenizerTrainingConfig sharp = TokenizerPresets.get("fmnist-sharp");
    assertThat(sharp.optimizer().learningRate()).isEqualTo(4e-4);
    assertThat(sharp.optimizer().codebookLrScale()).as("the paper's codebook lr").isEqualTo(1.0);
    assertThat(TokenizerPresets.get("rgb-cpu").optimizer().codebookLrScale()).as("rgb-cpu: the paper's codebook lr too").isEqualTo(1.0);
    assertThat(sharp.architecture().downsampleFactor()).isEqualTo(2);
    assertThat(sharp.batchSize()).isEqualTo(16);
    assertThat(sharp.losses()).as("fmnist-sharp: the paper's losses, discriminator from step 0").isEqualTo(LossWeights.paper());
    assertThat(TokenizerPresets.get("rgb-cpu").losses()).isEqualTo(LossWeights.paper());
    assertThat(sharp.emaWarmup()).isTrue();
    assertThat(sharp.optimizer().lrDropSteps()).containsExactly(sharp.steps() * 250 / 330, sharp.steps() * 300 / 330);
    assertThat(sharp.optimizer().learningRateAt(0)).isEqualTo(4e-4);
    assertThat(sharp.optimizer().learningRateAt(sharp.steps() - 1)).isCloseTo(4e-6, within(1e-12));
    assertThat(sharp.losses().adversarial()).isEqualTo(0.1);
    assertThat(sharp.losses().entropy()).isEqualTo(0.05);
    assertThat(TokenizerPresets.get("fmnist-cpu").losses().entropy()).isEqualTo(0.05);
    assertThat(TokenizerPresets.get("fmnist-cpu-vq").architecture().quantizer()).isEqualTo("VQ");
    assertThat(TokenizerPresets.get("fmnist-cpu").architecture().quantizer()).isEqualTo("IBQ");
  }
}
