package dev.ibq.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.source.FashionMnist;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every supported file kind, written in the test from a real Fashion-MNIST image with the ImageIO
 * writers, decoded and preprocessed: lossless kinds must give exactly the tensor of the raw IDX
 * raster, lossy ones the right shape and range and a close tensor.
 */
class ImageFormatsTest {

  private static byte[] raw; // (28, 28) gray
  private static final int SIDE = 28;
  private static final Preprocessor FASHION = new Preprocessor(PreprocessingSpec.fashionMnist32());
  private static final Preprocessor RGB_RESIZED = new Preprocessor(
      new PreprocessingSpec(20, 24, 3, ResizePolicy.RESIZE_SHORTER_CENTER_CROP, Interpolation.BICUBIC, 0));

  @BeforeAll
  static void loadRealImage() throws IOException {
    raw = FashionMnist.load(FashionMnist.Split.TRAIN).pixels(0);
  }

  /** The file kinds, each built from the same 28x28 gray pixels. */
  enum Kind {
    PNG_GRAY("png", true),
    PNG_RGB("png", true),
    PNG_RGBA("png", true),
    PNG_GRAY_ALPHA("png", true),
    PNG_PALETTE("png", true),
    PNG_GRAY_16("png", true),
    PNG_RGB_16("png", true),
    JPEG_GRAY("jpeg", false),
    JPEG_RGB("jpeg", false),
    BMP_RGB("bmp", true),
    BMP_PALETTE("bmp", true),
    TIFF_GRAY("tiff", true),
    TIFF_RGB("tiff", true),
    GIF_PALETTE("gif", true),
    PGM("pnm", true),
    PPM("pnm", true);

    final String format;
    final boolean lossless;

    Kind(String format, boolean lossless) {
      this.format = format;
      this.lossless = lossless;
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void everyKindDecodesToTheRightShapeAndRangeAndLosslessOnesMatchTheRawRaster(Kind kind) throws Exception {
    byte[] file = encode(kind);
    DecodedImage decoded = ImageDecoder.decode(file, DecodeLimits.defaults());
    assertThat(decoded.format()).isEqualTo(kind.format);
    assertThat(decoded.width()).isEqualTo(SIDE);
    assertThat(decoded.height()).isEqualTo(SIDE);
    // the file really is of the kind it claims
    var cm = decoded.image().getColorModel();
    assertThat(cm instanceof IndexColorModel).as("palette").isEqualTo(kind.name().contains("PALETTE"));
    assertThat(cm.hasAlpha()).as("alpha").isEqualTo(kind.name().contains("ALPHA") || kind.name().contains("RGBA"));
    assertThat(cm.getComponentSize(0)).as("bits").isEqualTo(kind.name().endsWith("_16") ? 16 : 8);

    float[] expected = FASHION.apply(FashionMnist.grayImage(raw, SIDE, SIDE));
    float[] actual = FASHION.decodeAndApply(file, DecodeLimits.defaults());
    assertThat(actual).hasSize(32 * 32);
    for (float v : actual) {
      assertThat(v).isBetween(-1f, 1f);
    }
    float[] expectedRgb = RGB_RESIZED.apply(FashionMnist.grayImage(raw, SIDE, SIDE));
    float[] actualRgb = RGB_RESIZED.apply(decoded.image());
    assertThat(actualRgb).hasSize(3 * 20 * 24);
    if (kind.lossless) {
      assertThat(actual).as("%s tensor equals the raw IDX tensor", kind).containsExactly(expected);
      assertThat(actualRgb).as("%s resized RGB tensor equals the raw one", kind).containsExactly(expectedRgb);
    } else {
      assertThat(meanAbsDifference(actual, expected)).as("%s mean |difference| (JPEG quality 0.75: about 4 gray levels)", kind).isLessThan(0.05);
      assertThat(meanAbsDifference(actualRgb, expectedRgb)).isLessThan(0.05);
    }
  }

  @Test
  void semiTransparentPngIsCompositedOverBlack() throws Exception {
    BufferedImage argb = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_ARGB);
    for (int i = 0; i < raw.length; i++) {
      int v = raw[i] & 0xff;
      argb.setRGB(i % SIDE, i / SIDE, (i % 2 == 0 ? 0x00 : 0xff) << 24 | v << 16 | v << 8 | v);
    }
    float[] t = FASHION.decodeAndApply(write(argb, "png"), DecodeLimits.defaults());
    for (int i = 0; i < raw.length; i++) {
      float expected = i % 2 == 0 ? -1f : (raw[i] & 0xff) / 127.5f - 1f;
      assertThat(t[(i / SIDE + 2) * 32 + i % SIDE + 2]).isEqualTo(expected);
    }
  }

  @Test
  void paletteTransparencyIsHonoured() throws Exception {
    // palette entry 0 is a fully transparent white, entry 1 opaque white; pad value 0 (black)
    byte[] white = {(byte) 255, (byte) 255};
    byte[] alpha = {0, (byte) 255};
    IndexColorModel cm = new IndexColorModel(1, 2, white, white, white, alpha);
    BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_BINARY, cm);
    image.getRaster().setSample(1, 0, 0, 1);
    Preprocessor exact = new Preprocessor(new PreprocessingSpec(1, 2, 1, ResizePolicy.PAD_CENTER, Interpolation.BILINEAR, 0));
    for (String format : new String[] {"png", "gif"}) {
      float[] t = exact.decodeAndApply(write(image, format), DecodeLimits.defaults().withMinSize(1, 1));
      assertThat(t).as(format).containsExactly(-1f, 1f);
    }
  }

  @Test
  void cmykJpegIsConvertedThroughItsColorProfileAndKeepsThePicture() throws Exception {
    // Adobe CMYK stores inverted ink values: 255 = no ink. Cyan, magenta, yellow none; black ink = 255 - v.
    WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, SIDE, SIDE, 4, null);
    for (int i = 0; i < raw.length; i++) {
      for (int b = 0; b < 3; b++) {
        cmyk.setSample(i % SIDE, i / SIDE, b, 255);
      }
      cmyk.setSample(i % SIDE, i / SIDE, 3, raw[i] & 0xff);
    }
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new IIOImage(cmyk, null, null), null);
    } finally {
      writer.dispose();
    }
    float[] actual = FASHION.decodeAndApply(out.toByteArray(), DecodeLimits.defaults());
    float[] expected = FASHION.apply(FashionMnist.grayImage(raw, SIDE, SIDE));
    for (float v : actual) {
      assertThat(v).isBetween(-1f, 1f);
    }
    // A print profile maps full black ink to a dark grey, not 0, so compare the picture, not the values.
    assertThat(correlation(actual, expected)).isGreaterThan(0.95);
  }

  private static double correlation(float[] a, float[] b) {
    double ma = 0;
    double mb = 0;
    for (int i = 0; i < a.length; i++) {
      ma += a[i];
      mb += b[i];
    }
    ma /= a.length;
    mb /= b.length;
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < a.length; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / Math.sqrt(saa * sbb);
  }

  static byte[] encode(Kind kind) throws IOException {
    return switch (kind) {
      case PNG_GRAY -> write(gray(), "png");
      case PNG_RGB -> write(rgb(BufferedImage.TYPE_INT_RGB), "png");
      case PNG_RGBA -> write(rgb(BufferedImage.TYPE_4BYTE_ABGR), "png");
      case PNG_GRAY_ALPHA -> write(grayAlpha(), "png");
      case PNG_PALETTE -> write(palette(), "png");
      case PNG_GRAY_16 -> write(gray16(), "png");
      case PNG_RGB_16 -> write(rgb16(), "png");
      case JPEG_GRAY -> write(gray(), "jpeg");
      case JPEG_RGB -> write(rgb(BufferedImage.TYPE_3BYTE_BGR), "jpeg");
      case BMP_RGB -> write(rgb(BufferedImage.TYPE_3BYTE_BGR), "bmp");
      case BMP_PALETTE -> write(palette(), "bmp");
      case TIFF_GRAY -> write(gray(), "tiff");
      case TIFF_RGB -> write(rgb(BufferedImage.TYPE_INT_RGB), "tiff");
      case GIF_PALETTE -> write(palette(), "gif");
      case PGM -> pnm(false);
      case PPM -> pnm(true);
    };
  }

  private static byte[] write(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(image, format, out)) {
      throw new IllegalStateException("No ImageIO writer for " + format + " and image type " + image.getType() + ".");
    }
    return out.toByteArray();
  }

  private static BufferedImage gray() {
    return FashionMnist.grayImage(raw, SIDE, SIDE);
  }

  private static BufferedImage rgb(int type) {
    BufferedImage image = new BufferedImage(SIDE, SIDE, type);
    for (int i = 0; i < raw.length; i++) {
      int v = raw[i] & 0xff;
      image.setRGB(i % SIDE, i / SIDE, 0xff000000 | v << 16 | v << 8 | v);
    }
    return image;
  }

  private static BufferedImage grayAlpha() {
    ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
        Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
    WritableRaster raster = cm.createCompatibleWritableRaster(SIDE, SIDE);
    for (int i = 0; i < raw.length; i++) {
      raster.setSample(i % SIDE, i / SIDE, 0, raw[i] & 0xff);
      raster.setSample(i % SIDE, i / SIDE, 1, 255);
    }
    return new BufferedImage(cm, raster, false, null);
  }

  private static BufferedImage palette() {
    byte[] ramp = new byte[256];
    for (int i = 0; i < 256; i++) {
      ramp[i] = (byte) (255 - i); // an inverted palette: indices differ from values
    }
    IndexColorModel cm = new IndexColorModel(8, 256, ramp, ramp, ramp);
    BufferedImage image = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_BYTE_INDEXED, cm);
    for (int i = 0; i < raw.length; i++) {
      image.getRaster().setSample(i % SIDE, i / SIDE, 0, 255 - (raw[i] & 0xff));
    }
    return image;
  }

  private static BufferedImage gray16() {
    BufferedImage image = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_USHORT_GRAY);
    for (int i = 0; i < raw.length; i++) {
      image.getRaster().setSample(i % SIDE, i / SIDE, 0, (raw[i] & 0xff) * 257);
    }
    return image;
  }

  private static BufferedImage rgb16() {
    ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
        Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
    WritableRaster raster = cm.createCompatibleWritableRaster(SIDE, SIDE);
    for (int i = 0; i < raw.length; i++) {
      for (int b = 0; b < 3; b++) {
        raster.setSample(i % SIDE, i / SIDE, b, (raw[i] & 0xff) * 257);
      }
    }
    return new BufferedImage(cm, raster, false, null);
  }

  /** Binary PGM (P5) or PPM (P6), written by hand from the format's definition. */
  private static byte[] pnm(boolean color) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(((color ? "P6" : "P5") + "\n# fashion-mnist train 0\n" + SIDE + " " + SIDE + "\n255\n").getBytes(StandardCharsets.US_ASCII));
    for (byte b : raw) {
      for (int c = 0; c < (color ? 3 : 1); c++) {
        out.write(b);
      }
    }
    return out.toByteArray();
  }

  private static double meanAbsDifference(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += Math.abs(a[i] - b[i]);
    }
    return sum / a.length;
  }
}
