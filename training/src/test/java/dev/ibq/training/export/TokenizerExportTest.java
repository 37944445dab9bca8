package dev.ibq.training.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.model.TokenizerMetadata;
import dev.ibq.training.io.Json;
import dev.ibq.training.tokenizer.train.ConfigFiles;
import dev.ibq.training.tokenizer.train.TokenizerPresets;
import dev.ibq.training.tokenizer.train.TokenizerTrainer;
import dev.ibq.training.tokenizer.train.TrainingOptions;
import dev.ibq.training.tokenizer.train.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The export use case (./ibq export) from a real (one-step) training checkpoint, with the parity check on real test images. */
class TokenizerExportTest {
  @TempDir static Path dir;
  static TrainingResult trained;

  @BeforeAll
  static void trainOneStep() {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    var config =
        TokenizerPresets.get("fmnist-cpu")
            .withOverrides(
                Map.of(),
                "",
                List.of(
                    "architecture.ch=16", "architecture.ch_mult=[1,2]", "architecture.attn_resolutions=[16]",
                    "architecture.z_channels=16", "architecture.code_dim=16", "architecture.codebook_size=64",
                    "batch_size=4", "steps=1", "log_every=1", "checkpoint_every=1", "figure_every=0",
                    "eval_images=16", "grid_images=4", "seed=5"));
    trained =
        TokenizerTrainer.run(
            config, dir.resolve("run"), TrainingOptions.defaults().withDevice("cpu").withProgressBar(false).withEvaluate(false));
  }

  @Test
  void exportsACheckpointWithItsConfigPreprocessingAndAPassingParityCheck() throws Exception {
    Path out = dir.resolve("export");
    TokenizerExport.Result r = TokenizerExport.run(new TokenizerExport.Options(trained.runDir(), null, 0, out, null, 32, 16));
    assertThat(r.parity()).isNotNull();
    assertThat(r.parity().passed()).as(r.parity().summary()).isTrue();
    assertThat(r.parity().positions()).isEqualTo(16L * 256);

    Map<String, String> meta = ModelFileSummary.read(out.resolve("encoder.onnx")).metadata();
    assertThat(meta.get(TokenizerMetadata.TOKENIZER_NAME)).isEqualTo("ibq-fmnist-cpu-step1");
    assertThat(meta.get(TokenizerMetadata.CODEBOOK_SIZE)).isEqualTo("64");
    assertThat(meta.get(TokenizerMetadata.CODE_DIM)).isEqualTo("16");
    assertThat(meta.get(TokenizerMetadata.GRID_HEIGHT)).isEqualTo("16");
    assertThat(meta.get(TokenizerMetadata.PREPROCESSING)).startsWith("ibq-preprocess:v1;h=32;w=32;c=1");
    var config = Json.MAPPER.readTree(meta.get(TokenizerMetadata.CONFIG));
    assertThat(config.get("architecture").get("codebook_size").asInt()).isEqualTo(64);
    assertThat(config.get("seed").asLong()).isEqualTo(5);
    // The stored config is the user's config document: saved as a file, it reads back as --config, key for key.
    Path pasted = dir.resolve("pasted-config.yaml");
    Files.writeString(pasted, meta.get(TokenizerMetadata.CONFIG));
    assertThat(ConfigFiles.readComplete(pasted)).isEqualTo(trained.config());
    assertThat(TokenizerPresets.get("fmnist-cpu").withOverrides(ConfigFiles.readTree(pasted), pasted.toString(), List.of()))
        .isEqualTo(trained.config());
    assertThat(ModelFileSummary.read(out.resolve("decoder.onnx")).metadata().get(TokenizerMetadata.TOKENIZER_ID))
        .isEqualTo(r.exported().tokenizerId());

    var card = Json.MAPPER.readTree(Files.readString(out.resolve(ModelCard.JSON_FILE)));
    assertThat(card.get("metadata").get(TokenizerMetadata.TOKENIZER_ID).asText()).isEqualTo(r.exported().tokenizerId());
    assertThat(card.get("parity").get("passed").asBoolean()).isTrue();
    assertThat(Files.readString(out.resolve(ModelCard.MARKDOWN_FILE))).contains("EMA weights, step 1");

    // Exporting the same checkpoint again gives the same tokenizer id; a random-init model another one.
    assertThat(TokenizerExport.run(TokenizerExport.Options.ofCheckpoint(trained.runDir(), dir.resolve("again"))).exported().tokenizerId())
        .isEqualTo(r.exported().tokenizerId());
  }

  @Test
  void aMissingCheckpointIsAClearError() {
    assertThatThrownBy(() -> TokenizerExport.run(TokenizerExport.Options.ofCheckpoint(dir.resolve("nope"), dir.resolve("x"))))
        .hasMessageContaining("nope");
  }

  @Test
  void exactlyOneSourceIsRequired() {
    assertThatThrownBy(() -> new TokenizerExport.Options(null, null, 0, dir.resolve("x"), null, 8192, 0))
        .hasMessageContaining("got neither");
    assertThatThrownBy(() -> new TokenizerExport.Options(dir, "fmnist-cpu", 0, dir.resolve("x"), null, 8192, 0))
        .hasMessageContaining("got both");
  }
}
