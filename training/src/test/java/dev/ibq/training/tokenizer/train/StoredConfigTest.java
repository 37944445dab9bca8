package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.model.ProjectRoot;
import dev.ibq.model.TokenizerMetadata;
import dev.ibq.training.export.ModelFileSummary;
import dev.ibq.training.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config stored in an exported model's metadata: the user's snake_case document, and the camelCase of older exports. */
class StoredConfigTest {

  @TempDir Path dir;

  @Test
  void theStoredJsonIsTheConfigDocumentAndPastesBackAsAConfigFile() throws Exception {
    for (String preset : TokenizerPresets.names()) {
      TokenizerTrainingConfig config = TokenizerPresets.get(preset);
      String json = ConfigFiles.toJson(config);
      assertThat(json).contains("\"codebook_size\":", "\"batch_size\":").doesNotContain("codebookSize", "batchSize");
      // The same tree as the YAML the run directory holds.
      assertThat(Json.MAPPER.readTree(json)).isEqualTo(Json.YAML.readTree(ConfigFiles.toYaml(config)));
      assertThat(ConfigFiles.fromJson(json, preset)).isEqualTo(config);
      Path pasted = dir.resolve(preset + ".yaml");
      Files.writeString(pasted, json);
      assertThat(ConfigFiles.readComplete(pasted)).isEqualTo(config);
    }
  }

  @Test
  void theCommittedModelsCamelCaseConfigStillReads() {
    Path encoder = ProjectRoot.model("fmnist-small").resolve(TokenizerMetadata.ENCODER_FILE);
    String stored = ModelFileSummary.read(encoder).metadata().get(TokenizerMetadata.CONFIG);
    assertThat(stored).contains("\"codebookSize\":1024");

    TokenizerTrainingConfig config = ConfigFiles.fromJson(stored, encoder + " " + TokenizerMetadata.CONFIG);
    assertThat(config.preset()).isEqualTo("fmnist-cpu");
    assertThat(config.steps()).isEqualTo(120);
    assertThat(config.batchSize()).isEqualTo(16);
    assertThat(config.architecture().codebookSize()).isEqualTo(1024);
    assertThat(config.architecture().codeDim()).isEqualTo(256);
    assertThat(config.architecture().chMult()).isEqualTo(List.of(1, 2, 2));
    assertThat(config.architecture().quantizer()).isEqualTo("IBQ");
    assertThat(config.losses().lecamDecay()).isEqualTo(0.999);
    assertThat(config.optimizer().learningRate()).isEqualTo(1.0e-4);
    // Keys added after that export take the values that reproduce it.
    assertThat(config.optimizer().codebookLrScale()).isEqualTo(1.0);
    assertThat(config.emaWarmup()).isTrue();
    // Written again, it is the snake_case document; inspect shows it as the YAML --config reads.
    assertThat(ConfigFiles.toJson(config)).contains("\"codebook_size\":1024", "\"lecam_decay\":0.999");
    ModelFileSummary summary = ModelFileSummary.read(encoder);
    assertThat(summary.trainingConfigYaml()).isEqualTo(ConfigFiles.toYaml(config)).contains("  codebook_size: 1024\n");
    assertThat(summary.render()).contains("training config (ibq.config as YAML; save it as a file for --config):\n  preset: fmnist-cpu\n");
  }

  @Test
  void aBrokenStoredConfigIsAnErrorThatNamesTheKey() {
    String json = ConfigFiles.toJson(TokenizerPresets.get("fmnist-cpu"));
    assertThatThrownBy(() -> ConfigFiles.fromJson(json.replace("\"codebook_size\"", "\"codebok_size\""), "model.onnx ibq.config"))
        .hasMessageContaining("model.onnx ibq.config: unknown key 'architecture.codebok_size'")
        .hasMessageContaining("codebook_size");
    assertThatThrownBy(() -> ConfigFiles.fromJson(json.replace("\"steps\":", "\"steps\":\"many\",\"x\":"), "model.onnx ibq.config"))
        .hasMessageContaining("unknown key 'x'");
    assertThatThrownBy(() -> ConfigFiles.fromJson("{\"steps\": ", "model.onnx ibq.config"))
        .hasMessageStartingWith("model.onnx ibq.config is not valid JSON");
    assertThatThrownBy(() -> ConfigFiles.fromJson("[1, 2]", "model.onnx ibq.config"))
        .hasMessageContaining("must be a map of keys to values");
  }
}
