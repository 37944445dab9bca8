package dev.ibq.image.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.source.FashionMnist.Split;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads the real Fashion-MNIST files installed by {@code dataset-fashion-mnist}. */
class FashionMnistTest {

  private static FashionMnist train;
  private static FashionMnist test;

  @BeforeAll
  static void load() throws IOException {
    train = FashionMnist.load(Split.TRAIN);
    test = FashionMnist.load(Split.TEST);
  }

  @Test
  void splitsHaveThePublishedSizesAndBalancedLabels() {
    assertThat(train.size()).isEqualTo(60_000);
    assertThat(test.size()).isEqualTo(10_000);
    assertThat(train.rows()).isEqualTo(28);
    assertThat(train.cols()).isEqualTo(28);
    int[] trainCounts = new int[10];
    int[] testCounts = new int[10];
    for (int i = 0; i < train.size(); i++) {
      trainCounts[train.label(i)]++;
    }
    for (int i = 0; i < test.size(); i++) {
      testCounts[test.label(i)]++;
    }
    assertThat(trainCounts).containsOnly(6000);
    assertThat(testCounts).containsOnly(1000);
  }

  @Test
  void firstImagesHaveTheirKnownLabelsAndPixelStatistics() {
    // Sums computed once from the gzip files with an independent reader (Python gzip + struct).
    assertThat(train.label(0)).isEqualTo(9);
    assertThat(FashionMnist.className(train.label(0))).isEqualTo("Ankle boot");
    assertThat(sum(train.pixels(0))).isEqualTo(76_247);
    assertThat(sum(train.pixels(0)) / 784.0).isCloseTo(97.2538, org.assertj.core.data.Offset.offset(1e-4));
    assertThat(zeros(train.pixels(0))).isEqualTo(351);
    assertThat(train.pixel(0, 14, 14)).isEqualTo(217);
    assertThat(sum(train.pixels(1))).isEqualTo(84_598);
    assertThat(train.label(1)).isZero();
    assertThat(test.label(0)).isEqualTo(9);
    assertThat(sum(test.pixels(0))).isEqualTo(33_456);
    assertThat(sum(test.pixels(1))).isEqualTo(100_994);
    assertThat(test.label(1)).isEqualTo(2);
  }

  @Test
  void imageIsAGrayCopyOfThePixels() {
    BufferedImage image = train.image(0);
    assertThat(image.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
    assertThat(image.getWidth()).isEqualTo(28);
    assertThat(image.getRaster().getSample(14, 14, 0)).isEqualTo(217);
    image.getRaster().setSample(14, 14, 0, 0);
    assertThat(train.pixel(0, 14, 14)).isEqualTo(217);
  }

  @Test
  void missingFilesSayHowToInstallThem(@TempDir Path empty) {
    assertThatThrownBy(() -> FashionMnist.load(empty, Split.TRAIN))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("apt-get install dataset-fashion-mnist")
        .hasMessageContaining("train-images-idx3-ubyte.gz");
  }

  @Test
  void wrongMagicAndTruncatedFilesAreRefused(@TempDir Path dir) throws IOException {
    writeIdx(dir.resolve("train-images-idx3-ubyte.gz"), 0x801, new int[] {2, 2, 2}, 8);
    writeIdx(dir.resolve("train-labels-idx1-ubyte.gz"), 0x801, new int[] {2}, 2);
    assertThatThrownBy(() -> FashionMnist.load(dir, Split.TRAIN)).isInstanceOf(IOException.class).hasMessageContaining("magic 0x00000801");

    writeIdx(dir.resolve("train-images-idx3-ubyte.gz"), 0x803, new int[] {2, 2, 2}, 7);
    assertThatThrownBy(() -> FashionMnist.load(dir, Split.TRAIN)).isInstanceOf(IOException.class).hasMessageContaining("truncated");

    writeIdx(dir.resolve("train-images-idx3-ubyte.gz"), 0x803, new int[] {3, 2, 2}, 12);
    assertThatThrownBy(() -> FashionMnist.load(dir, Split.TRAIN)).isInstanceOf(IOException.class).hasMessageContaining("holds 2 labels but");

    writeIdx(dir.resolve("train-images-idx3-ubyte.gz"), 0x803, new int[] {2, 2, 2}, 8);
    FashionMnist tiny = FashionMnist.load(dir, Split.TRAIN);
    assertThat(tiny.size()).isEqualTo(2);
    assertThat(tiny.pixels(1)).containsExactly(4, 5, 6, 7);
  }

  private static void writeIdx(Path file, int magic, int[] dims, int dataBytes) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(file)))) {
      out.writeInt(magic);
      for (int d : dims) {
        out.writeInt(d);
      }
      for (int i = 0; i < dataBytes; i++) {
        out.writeByte(i % 10);
      }
    }
  }

  private static long sum(byte[] pixels) {
    long s = 0;
    for (byte p : pixels) {
      s += p & 0xff;
    }
    return s;
  }

  private static int zeros(byte[] pixels) {
    int z = 0;
    for (byte p : pixels) {
      if (p == 0) {
        z++;
      }
    }
    return z;
  }
}
