package dev.ibq.training.autoregressive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.training.autoregressive.data.CommittedTokenizer;
import dev.ibq.training.autoregressive.data.TokenDataset;
import dev.ibq.training.autoregressive.data.TokenRecordFiles;
import dev.ibq.cli.IbqCli;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on real token records: real Fashion-MNIST images tokenized by the committed ONNX tokenizer with
 * {@code ./ibq encode} into an Avro container file, trained on for two batches through {@code ./ibq train-ar}, then sampled and decoded
 * through {@code ./ibq generate} with the tokenizer's decoder.
 */
class RealTokensTest {

  @TempDir static Path dir;
  static Path tokens;
  static Path decoder;
  static String tokenizerId;

  @BeforeAll
  static void encode() {
    // the user's path: ./ibq encode writes the Avro container file of TokenRecords
    Path encoder = CommittedTokenizer.file("encoder.onnx", dir);
    tokens = dir.resolve("tokens.avro");
    int code =
        IbqCli.execute(
            "encode", "--model", encoder.toString(), "--idx", "train", "--limit", "48", "--provider", "CPU", "--out",
            tokens.toString());
    assertThat(code).isZero();
    List<TokenRecord> direct = CommittedTokenizer.encodeTrainImages(48, dir);
    tokenizerId = direct.get(0).getTokenizerId();
    decoder = CommittedTokenizer.file("decoder.onnx", dir);
  }

  @Test
  void encodeOutputEqualsTheBenchmarkEncoderPath() {
    TokenDataset viaCli = TokenRecordFiles.read(tokens);
    Path file = dir.resolve("direct.avro");
    TokenRecordFiles.write(file, CommittedTokenizer.encodeTrainImages(48, dir));
    TokenDataset direct = TokenRecordFiles.read(file);
    assertThat(viaCli.tokenizerId()).isEqualTo(tokenizerId);
    assertThat(viaCli.tokens()).isDeepEqualTo(direct.tokens());
    assertThat(viaCli.labels()).containsExactly(direct.labels());
  }

  @Test
  void twoBatchesOnRealTokenRecordsThenGenerateAGridAndTokenRecords() throws Exception {
    TokenDataset data = TokenRecordFiles.read(tokens);
    assertThat(data.gridHeight()).isEqualTo(8);
    assertThat(data.gridWidth()).isEqualTo(8);
    assertThat(data.codebookSize()).isEqualTo(1024);
    assertThat(data.numClasses()).isEqualTo(10);

    Path run = dir.resolve("run");
    // fmnist-cpu is C 256 x 4 layers; the test keeps to the CLI path but a 2-step run of it is still quick.
    int code =
        IbqCli.execute(
            "train-ar", "--tokens", tokens.toString(), "--steps", "2", "--batch-size", "4", "--eval-every", "0",
            "--checkpoint-every", "0", "--validation-fraction", "0.2", "--out", run.toString());
    assertThat(code).isZero();
    Path checkpoint = run; // the output folder: its checkpoints/last
    ArCheckpoint.Header header = ArCheckpoint.readHeader(checkpoint);
    assertThat(header.tokenizerId()).isEqualTo(tokenizerId);
    assertThat(header.config().preset()).isEqualTo("fmnist-cpu");
    assertThat(header.config().vocabSize()).isEqualTo(1024);
    assertThat(header.step()).isEqualTo(2);
    assertThat(header.classNames()).isEqualTo(FashionMnist.CLASS_NAMES);
    assertThat(run.resolve("loss-curve.png")).isRegularFile();

    Path png = dir.resolve("grid.png");
    Path sampled = dir.resolve("samples.avro");
    code =
        IbqCli.execute(
            "generate", "--checkpoint", checkpoint.toString(), "--decoder", decoder.toString(), "--out",
            png.toString(), "--per-class", "1", "--cfg", "2.0", "--top-k", "50", "--tokens-out", sampled.toString());
    assertThat(code).isZero();
    BufferedImage grid = ImageIO.read(png.toFile());
    assertThat(grid.getHeight()).isEqualTo(10 * (64 + 2) + 2); // ten labelled rows of 32x32 images at 2x
    TokenDataset generated = TokenRecordFiles.read(sampled);
    assertThat(generated.size()).isEqualTo(10);
    assertThat(generated.tokenizerId()).isEqualTo(tokenizerId);
    assertThat(generated.labels()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
  }

  @Test
  void generateRefusesADecoderOfAnotherTokenizer() {
    ArConfig config = ArPreset.FMNIST_CPU.config(1024, 8, 8, 10);
    Path checkpoint = dir.resolve("other");
    try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager();
        Transformer model = new Transformer(manager, config.withDropout(0, 0), 1)) {
      ArCheckpoint.save(
          checkpoint,
          new ArCheckpoint.Header(model.config(), "0000-not-this-tokenizer", "x", "", 0, null, List.of()), model,
          null);
    }
    assertThatThrownBy(
            () ->
                ArGenerator.run(
                    new ArGenerator.Options(
                        checkpoint, decoder, dir.resolve("no.png"), null, SamplingOptions.defaults(0), 1, null, 0)))
        .hasMessageContaining("0000-not-this-tokenizer")
        .hasMessageContaining(tokenizerId);
    assertThat(Files.exists(dir.resolve("no.png"))).isFalse();
  }
}
