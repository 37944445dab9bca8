package dev.ibq.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.training.export.TestExports;
import dev.ibq.training.export.TokenFileDecoder;
import dev.ibq.training.export.TokenFileEncoder;
import dev.ibq.training.export.TokenizerExporter;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** ./ibq encode and ./ibq decode on real Fashion-MNIST images, including an interrupted and resumed encode. */
class EncodeDecodeCommandTest {
  @TempDir static Path models;
  static TokenizerExporter.Exported export;

  @BeforeAll
  static void exportModel() throws IOException {
    export = TestExports.small(models, 3);
  }

  static TokenFileEncoder.Result encode(String... args) throws IOException {
    List<String> all = new ArrayList<>(List.of("--model", models.toString(), "--provider", "cpu", "--onnx-threads", "1"));
    all.addAll(List.of(args));
    return EncodeCommand.run(IbqCli.populate(new EncodeCommand(), all.toArray(String[]::new)), false);
  }

  static List<TokenRecord> read(Path avro) throws IOException {
    List<TokenRecord> out = new ArrayList<>();
    try (DataFileReader<TokenRecord> r = new DataFileReader<>(avro.toFile(), new SpecificDatumReader<>(TokenRecord.class))) {
      r.forEach(out::add);
    }
    return out;
  }

  @Test
  void encodeThenDecodeWritesOneRecordAndOnePngPerImage(@TempDir Path dir) throws Exception {
    Path avro = dir.resolve("tokens.avro");
    TokenFileEncoder.Result r = encode("--idx", "test", "--limit", "20", "--batch-size", "8", "--out", avro.toString());
    assertThat(r.written()).isEqualTo(20);
    assertThat(r.interrupted()).isFalse();
    assertThat(TokenFileEncoder.checkpointFile(avro)).doesNotExist();
    List<TokenRecord> records = read(avro);
    assertThat(records).hasSize(20);
    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    for (int i = 0; i < 20; i++) {
      TokenRecord t = records.get(i);
      assertThat(t.getImageId()).isEqualTo(String.format("fmnist-test-%05d", i));
      assertThat(t.getLabel()).isEqualTo(test.label(i));
      assertThat(t.getTokens()).hasSize(256).allMatch(v -> v >= 0 && v < 64);
      assertThat(t.getTokenizerId()).isEqualTo(export.tokenizerId());
      assertThat(t.getGridHeight()).isEqualTo(16);
      assertThat(t.getCodebookSize()).isEqualTo(64);
      assertThat(t.getPreprocessing().getCanonical()).startsWith("ibq-preprocess:v1;h=32;w=32;c=1");
    }

    Path pngs = dir.resolve("png");
    Path grid = dir.resolve("grid.png");
    TokenFileDecoder.Result d = DecodeCommand.run(models, avro, pngs, grid, 16, 7, 0, ExecutionProvider.CPU);
    assertThat(d.records()).isEqualTo(20);
    assertThat(d.pngs()).hasSize(20);
    for (int i = 0; i < 20; i++) {
      BufferedImage img = ImageIO.read(pngs.resolve(String.format("fmnist-test-%05d.png", i)).toFile());
      assertThat(img.getWidth()).isEqualTo(32);
      assertThat(img.getHeight()).isEqualTo(32);
    }
    BufferedImage g = ImageIO.read(grid.toFile());
    assertThat(g.getWidth()).isEqualTo(4 * 34 + 2); // 16 images -> 4 columns of 32 px + 2 px gaps
  }

  @Test
  void aHugeFileIsSkippedFromItsSizeBeforeItIsReadAndTheLimitsAreConfigurable(@TempDir Path dir) throws Exception {
    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    Path good = dir.resolve("good.png");
    ImageIO.write(test.image(0), "png", good.toFile());
    Path huge = dir.resolve("huge.png");
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
      f.setLength(2_500_000_000L); // sparse: reading it whole would need 2.5 GB of heap (and cannot fit an array)
    }
    Path avro = dir.resolve("tokens.avro");
    TokenFileEncoder.Result r = encode("--files", good.toString(), huge.toString(), "--out", avro.toString());
    assertThat(r.written()).isEqualTo(1);
    assertThat(r.rejected()).isEqualTo(1);
    assertThat(read(avro)).extracting(TokenRecord::getImageId).containsExactly(good.toString());

    // The same limits as the stream job, set per run: a 28x28 image is under --min-side 32.
    Path avro2 = dir.resolve("tokens2.avro");
    TokenFileEncoder.Result small = encode("--files", good.toString(), "--min-side", "32", "--out", avro2.toString());
    assertThat(small.written()).isZero();
    assertThat(small.rejected()).isEqualTo(1);
    assertThatThrownBy(() -> encode("--files", good.toString(), "--max-pixels", "0", "--out", dir.resolve("x.avro").toString()))
        .hasMessageContaining("must be positive");
  }

  @Test
  void anInterruptedEncodeResumesAndGivesEachImageExactlyOnce(@TempDir Path dir) throws Exception {
    Path reference = dir.resolve("reference.avro");
    encode("--idx", "test", "--limit", "37", "--batch-size", "5", "--out", reference.toString());
    List<TokenRecord> expected = read(reference);

    Path avro = dir.resolve("tokens.avro");
    TokenFileEncoder.Result first =
        encode("--idx", "test", "--limit", "37", "--batch-size", "5", "--out", avro.toString(), "--stop-after-batches", "3",
            "--checkpoint-seconds", "0");
    assertThat(first.interrupted()).isTrue();
    assertThat(TokenFileEncoder.checkpointFile(avro)).exists();
    // The "crash" left a fourth, un-checkpointed batch in the file: 20 records, of which 15 are committed.
    assertThat(read(avro)).hasSize(20);

    assertThatThrownBy(() -> encode("--idx", "test", "--limit", "30", "--batch-size", "5", "--out", avro.toString()))
        .hasMessageContaining("Cannot resume")
        .hasMessageContaining("30");

    TokenFileEncoder.Result second = encode("--idx", "test", "--limit", "37", "--batch-size", "5", "--out", avro.toString());
    assertThat(second.resumedFrom()).isEqualTo(15);
    assertThat(second.written()).isEqualTo(22);
    assertThat(second.interrupted()).isFalse();
    assertThat(TokenFileEncoder.checkpointFile(avro)).doesNotExist();

    List<TokenRecord> records = read(avro);
    assertThat(records).extracting(TokenRecord::getImageId).doesNotHaveDuplicates().hasSize(37);
    assertThat(records).extracting(TokenRecord::getImageId).isEqualTo(expected.stream().map(TokenRecord::getImageId).toList());
    assertThat(records).extracting(TokenRecord::getTokens).isEqualTo(expected.stream().map(TokenRecord::getTokens).toList());

    assertThatThrownBy(() -> encode("--idx", "test", "--limit", "37", "--out", avro.toString()))
        .hasMessageContaining("already exists")
        .hasMessageContaining("--overwrite");
  }

  @Test
  void aCrashBetweenTimedCheckpointsRedoesTheUncommittedBatchesOnce(@TempDir Path dir) throws Exception {
    Path reference = dir.resolve("reference.avro");
    encode("--idx", "test", "--limit", "23", "--batch-size", "4", "--out", reference.toString());
    Path avro = dir.resolve("tokens.avro");
    // An hour between checkpoints: the crash after 4 batches leaves 20 records in the file, none committed.
    TokenFileEncoder.Result first = encode("--idx", "test", "--limit", "23", "--batch-size", "4", "--out", avro.toString(),
        "--stop-after-batches", "4", "--checkpoint-seconds", "3600");
    assertThat(first.interrupted()).isTrue();
    assertThat(read(avro)).hasSize(20);
    TokenFileEncoder.Result second = encode("--idx", "test", "--limit", "23", "--batch-size", "4", "--out", avro.toString());
    assertThat(second.resumedFrom()).isZero();
    assertThat(second.written()).isEqualTo(23);
    assertThat(read(avro)).extracting(TokenRecord::getImageId)
        .isEqualTo(read(reference).stream().map(TokenRecord::getImageId).toList());
    assertThat(read(avro)).extracting(TokenRecord::getTokens)
        .isEqualTo(read(reference).stream().map(TokenRecord::getTokens).toList());
    assertThatThrownBy(() -> encode("--idx", "test", "--out", dir.resolve("y.avro").toString(), "--checkpoint-seconds", "-1"))
        .hasMessageContaining("--checkpoint-seconds");
  }

  @Test
  void filesAndFoldersAreEncodedAndUndecodableFilesSkipped(@TempDir Path dir) throws Exception {
    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    Path folder = Files.createDirectories(dir.resolve("imgs/sub"));
    ImageIO.write(test.image(0), "png", dir.resolve("imgs/a.png").toFile());
    ImageIO.write(test.image(1), "png", folder.resolve("b.png").toFile());
    ImageIO.write(test.image(2), "bmp", dir.resolve("imgs/c.bmp").toFile());
    Files.writeString(dir.resolve("imgs/notes.txt"), "not an image");
    Path avro = dir.resolve("folder.avro");
    TokenFileEncoder.Result r = encode("--folder", dir.resolve("imgs").toString(), "--out", avro.toString());
    assertThat(r.written()).isEqualTo(3);
    assertThat(r.rejected()).isEqualTo(1);
    assertThat(read(avro)).extracting(TokenRecord::getImageId).containsExactly("a.png", "c.bmp", "sub/b.png");
    // Labels come from the class sub-folders; files directly in the folder have none.
    assertThat(read(avro)).extracting(TokenRecord::getLabel).containsExactly(null, null, 0);
    // The registry name of the same folder gives the same records.
    Path named = dir.resolve("named.avro");
    encode("--source", "folder:" + dir.resolve("imgs"), "--out", named.toString());
    assertThat(read(named)).extracting(TokenRecord::getTokens).isEqualTo(read(avro).stream().map(TokenRecord::getTokens).toList());

    // The same image as an IDX entry and as a PNG file gives the same tokens.
    Path idx = dir.resolve("idx.avro");
    encode("--idx", "test", "--limit", "1", "--out", idx.toString());
    Path idxByName = dir.resolve("idx-by-name.avro");
    encode("--source", "fashion-mnist:test", "--limit", "1", "--out", idxByName.toString());
    assertThat(read(idxByName).get(0).getImageId()).isEqualTo("fmnist-test-00000");
    assertThat(read(idxByName).get(0).getTokens()).isEqualTo(read(idx).get(0).getTokens());
    Path one = dir.resolve("one.avro");
    encode("--files", dir.resolve("imgs/a.png").toString(), "--out", one.toString());
    assertThat(read(one).get(0).getTokens()).isEqualTo(read(idx).get(0).getTokens());
  }
}
