package dev.ibq.training.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.ibq.cli.IbqCli;
import dev.ibq.training.importer.ReferenceKeys.WeightChoice;
import dev.ibq.training.weights.Safetensors;
import dev.ibq.training.weights.TensorData;
import dev.ibq.training.weights.WeightFileException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way an import can fail says what was wrong and what to do, and writes nothing. */
class ImportErrorsTest {

  @TempDir Path dir;

  private Path out() {
    return dir.resolve("out");
  }

  private TokenizerImporter.Result importWith(Path weights, Path config) throws IOException {
    return TokenizerImporter.run(TokenizerImporter.Request.of(weights, config), out());
  }

  private Path config(String from, String to) throws IOException {
    String yaml = Files.readString(ReferenceFixture.config());
    assertThat(yaml).contains(from);
    Path file = dir.resolve("edited-" + Math.abs((from + to).hashCode()) + ".yaml");
    Files.writeString(file, yaml.replace(from, to));
    return file;
  }

  @Test
  void aFileThatIsNotACheckpoint() throws IOException {
    Path photo = dir.resolve("photo.ckpt");
    Files.copy(ReferenceFixture.file("images/02-chelsea.png"), photo);
    assertThatThrownBy(() -> importWith(photo, ReferenceFixture.config()))
        .isInstanceOf(WeightFileException.class)
        .hasMessageContaining("is not a torch checkpoint");
    assertThatThrownBy(() -> importWith(dir.resolve("absent.ckpt"), ReferenceFixture.config()))
        .hasMessageContaining("does not exist");
    assertThat(out()).doesNotExist();
  }

  @Test
  void truncatedCheckpointAndSafetensors() throws IOException {
    byte[] ckpt = Files.readAllBytes(ReferenceFixture.checkpoint());
    Path cutCkpt = dir.resolve("cut.ckpt");
    Files.write(cutCkpt, Arrays.copyOf(ckpt, ckpt.length - 1000));
    assertThatThrownBy(() -> importWith(cutCkpt, ReferenceFixture.config()))
        .isInstanceOf(WeightFileException.class)
        .hasMessageContaining("truncated");

    byte[] st = Files.readAllBytes(ReferenceFixture.safetensors());
    Path cutSt = dir.resolve("cut.safetensors");
    Files.write(cutSt, Arrays.copyOf(st, st.length - 1000));
    assertThatThrownBy(() -> importWith(cutSt, ReferenceFixture.config()))
        .isInstanceOf(WeightFileException.class)
        .hasMessageContaining("truncated");
    assertThat(out()).doesNotExist();
  }

  @Test
  void aConfigOfAnotherCodebookListsEachShapeMismatchWithBothShapes() throws IOException {
    Path k128 = config("n_embed: 64", "n_embed: 128");
    assertThatThrownBy(() -> importWith(ReferenceFixture.checkpoint(), k128))
        .isInstanceOf(ImportException.class)
        .hasMessageContaining("1 shape mismatch(es): model_ema.quantizeembeddingweight: checkpoint [64, 8] vs config [128, 8]")
        .hasMessageContaining("codebook is [64, 8] (n_embed x embed_dim) but the config says [128, 8]");

    Path z32 = config("z_channels: 16", "z_channels: 32");
    assertThatThrownBy(() -> importWith(ReferenceFixture.checkpoint(), z32))
        .isInstanceOf(ImportException.class)
        .hasMessageContaining("model_ema.encoderconv_outweight: checkpoint [16, 32, 3, 3] vs config [32, 32, 3, 3]")
        .hasMessageContaining("model_ema.quant_convweight: checkpoint [8, 16, 1, 1] vs config [8, 32, 1, 1]")
        .hasMessageContaining("model_ema.decoderconv_inweight: checkpoint [32, 16, 3, 3] vs config [32, 32, 3, 3]");
  }

  @Test
  void aConfigWithMoreOrFewerBlocksListsMissingAndUnexpectedKeys() throws IOException {
    Path moreBlocks = config("num_res_blocks: 1", "num_res_blocks: 2");
    assertThatThrownBy(() -> importWith(ReferenceFixture.checkpoint(), moreBlocks))
        .isInstanceOf(ImportException.class)
        .hasMessageContaining("missing key(s): [model_ema.encoderdown0block1norm1weight (EMA of encoder.down.0.block.1.norm1.weight)");

    Path noAttention = config("attn_resolutions: [8]", "attn_resolutions: []");
    assertThatThrownBy(() -> importWith(ReferenceFixture.checkpoint(), noAttention))
        .isInstanceOf(ImportException.class)
        .hasMessageContaining("60 unexpected key(s): [decoder.up.1.attn.0.k.bias (+ EMA), decoder.up.1.attn.0.k.weight (+ EMA)");
  }

  @Test
  void safetensorsWithMissingExtraAndMisShapedTensors() throws IOException {
    Map<String, TensorData> tensors = new LinkedHashMap<>(Safetensors.read(ReferenceFixture.safetensors()).tensors());
    tensors.remove("decoder.norm_out.bias");
    tensors.put("colorize", TensorData.ofFloats(new long[] {3, 2, 1, 1}, new float[6]));
    tensors.put("post_quant_conv.bias", TensorData.ofFloats(new long[] {8}, new float[8]));
    Path file = dir.resolve("edited.safetensors");
    Safetensors.write(file, tensors, Map.of());
    assertThatThrownBy(() -> importWith(file, ReferenceFixture.config()))
        .isInstanceOf(ImportException.class)
        .hasMessageContaining("1 missing key(s): [decoder.norm_out.bias]")
        .hasMessageContaining("1 unexpected key(s): [colorize]")
        .hasMessageContaining("1 shape mismatch(es): post_quant_conv.bias: checkpoint [8] vs config [16]");
  }

  @Test
  void emaOnRequestWhenThereIsNone() {
    assertThatThrownBy(() -> TokenizerImporter.run(
            TokenizerImporter.Request.of(ReferenceFixture.safetensors(), ReferenceFixture.config()).withChoice(WeightChoice.EMA), out()))
        .isInstanceOf(ImportException.class)
        .hasMessageContaining("has no EMA weights")
        .hasMessageContaining("--weights raw");
  }

  @Test
  void aQuantizerOrOptionTheProjectDoesNotHave() throws IOException {
    Path lfq = config("src.IBQ.models.ibqgan.IBQ", "src.Open_MAGVIT2.models.lfqgan.VQModel");
    assertThatThrownBy(() -> importWith(ReferenceFixture.checkpoint(), lfq))
        .isInstanceOf(ImportException.class)
        .hasMessageContaining("'src.Open_MAGVIT2.models.lfqgan.VQModel', whose quantizer this project does not have")
        .hasMessageContaining("Lookup-free (Open-MAGVIT2)");

    Path doubleZ = config("double_z: False", "double_z: True");
    assertThatThrownBy(() -> importWith(ReferenceFixture.checkpoint(), doubleZ)).hasMessageContaining("ddconfig.double_z: true; only false is supported");

    Path unknownKey = config("dropout: 0.0", "dropout: 0.0\n      use_checkpoint: true");
    assertThatThrownBy(() -> importWith(ReferenceFixture.checkpoint(), unknownKey)).hasMessageContaining("ddconfig key 'use_checkpoint', which is unknown");

    Path badType = config("ch: 32", "ch: thirty-two");
    assertThatThrownBy(() -> importWith(ReferenceFixture.checkpoint(), badType)).hasMessageContaining("ddconfig.ch = thirty-two; expected an integer");

    Path notYaml = dir.resolve("broken.yaml");
    Files.writeString(notYaml, "model: [unclosed");
    assertThatThrownBy(() -> importWith(ReferenceFixture.checkpoint(), notYaml)).hasMessageContaining("is not valid YAML");
    assertThat(out()).doesNotExist();
  }

  @Test
  void aHostileCheckpointIsRefusedByTheCommandLine() {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int code;
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      code = IbqCli.execute("import-tokenizer", "--checkpoint", ReferenceFixture.file("hostile.ckpt").toString(),
          "--config", ReferenceFixture.config().toString(), "--out", out().toString());
    } finally {
      System.setErr(err);
    }
    assertThat(code).isEqualTo(1);
    assertThat(captured.toString(StandardCharsets.UTF_8)).contains("'posix.system', which is not on the allow-list");
    assertThat(out()).doesNotExist();
  }

  @Test
  void theCommandLineImportsTheFixture() throws IOException {
    int code = IbqCli.execute("import-tokenizer", "--checkpoint", ReferenceFixture.checkpoint().toString(),
        "--config", ReferenceFixture.config().toString(), "--out", out().toString(), "--name", "tiny-reference");
    assertThat(code).isZero();
    assertThat(out().resolve("encoder.onnx")).isRegularFile();
    assertThat(out().resolve("decoder.onnx")).isRegularFile();
    assertThat(Files.readString(out().resolve("model-card.md"))).contains("tiny-reference").contains("EMA weights");
    try (NDManager m = NDManager.newBaseManager()) {
      TokenizerImporter.Loaded raw = TokenizerImporter.load(
          TokenizerImporter.Request.of(ReferenceFixture.checkpoint(), ReferenceFixture.config()).withChoice(WeightChoice.RAW), m);
      assertThat(raw.weightsDescription()).contains("epoch 3, global_step 1234");
    }
  }
}
