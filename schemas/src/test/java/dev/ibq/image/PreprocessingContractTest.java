package dev.ibq.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.source.FashionMnist;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Pins contract {@link PreprocessingSpec#VERSION} 1: a CRC-32 of the exact float bits of tensors of
 * real images under several specs. The digests were recorded from this implementation once the
 * hand-derived tests in {@link PreprocessorTest} passed. If one changes, tokens of every trained
 * tokenizer silently drift: either undo the change or bump {@link PreprocessingSpec#VERSION} and
 * record the new digests.
 */
class PreprocessingContractTest {

  private static BufferedImage gray;
  private static BufferedImage color;

  @BeforeAll
  static void realImages() throws IOException {
    FashionMnist train = FashionMnist.load(FashionMnist.Split.TRAIN);
    gray = train.image(0);
    // an RGB image whose channels are three different real images, 28x28 RGB
    color = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        color.setRGB(x, y, train.pixel(1, y, x) << 16 | train.pixel(2, y, x) << 8 | train.pixel(3, y, x));
      }
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "ibq-preprocess:v1;h=32;w=32;c=1;resize=PAD_CENTER;interp=BILINEAR;pad=0;range=[-1,1] | gray | be28e164",
      "ibq-preprocess:v1;h=32;w=32;c=3;resize=RESIZE_SHORTER_CENTER_CROP;interp=BILINEAR;pad=0;range=[-1,1] | color | 38ba3626",
      "ibq-preprocess:v1;h=24;w=40;c=1;resize=RESIZE_FIT_PAD;interp=BICUBIC;pad=255;range=[-1,1] | color | c01f1115",
      "ibq-preprocess:v1;h=16;w=16;c=3;resize=STRETCH;interp=AREA;pad=0;range=[-1,1] | gray | 628b0947",
      "ibq-preprocess:v1;h=50;w=20;c=1;resize=RESIZE_SHORTER_CENTER_CROP;interp=AREA;pad=0;range=[-1,1] | color | 1b123f12",
  })
  void tensorsAreBitForBitTheRecordedOnes(String spec, String image, String digest) {
    Preprocessor pre = new Preprocessor(PreprocessingSpec.parse(spec));
    float[] t = pre.apply(image.equals("gray") ? gray : color);
    assertThat(crc(t)).as("digest of %s on the %s image", spec, image).isEqualTo(digest);
  }

  static String crc(float[] values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 4);
    for (float v : values) {
      bytes.putInt(Float.floatToRawIntBits(v));
    }
    CRC32 crc = new CRC32();
    crc.update(bytes.array());
    return String.format("%08x", crc.getValue());
  }
}
