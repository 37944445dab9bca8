package dev.ibq.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ibq.image.ImageRejectedException.Reason;
import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The decoder's verdicts on crafted files: right codes, cheap refusals, bounded time, upright pictures. */
class HostileVerdictsTest {
  private static final DecodeLimits LIMITS = DecodeLimits.defaults();
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static ImageRejectedException rejected(byte[] file, DecodeLimits limits) {
    ImageRejectedException e = catchThrowableOfType(() -> ImageDecoder.decode(file, limits), ImageRejectedException.class);
    assertThat(e).as("the decoder should refuse the file").isNotNull();
    assertThat(e.getMessage()).endsWith(".");
    return e;
  }

  private static long allocatedBy(Runnable r) {
    long tid = Thread.currentThread().getId();
    long before = THREADS.getThreadAllocatedBytes(tid);
    r.run();
    return THREADS.getThreadAllocatedBytes(tid) - before;
  }

  @Test
  void aLosslessWebpDecodesToItsPixels() throws Exception {
    byte[] webp = HostileImages.losslessWebp(16, 12, 40, 200, (x, y) -> x < 8);
    DecodedImage d = ImageDecoder.decode(webp, LIMITS);
    assertThat(d.format()).isEqualTo("webp");
    assertThat(d.width()).isEqualTo(16);
    assertThat(d.height()).isEqualTo(12);
    assertThat(d.image().getRGB(2, 5) & 0xffffff).isEqualTo(0xc8c8c8);
    assertThat(d.image().getRGB(12, 5) & 0xffffff).isEqualTo(0x282828);
  }

  @Test
  void aTruncatedWebpIsCorrupt() {
    byte[] webp = HostileImages.losslessWebp(64, 64, 40, 200, (x, y) -> (x ^ y) % 3 == 0);
    ImageRejectedException e = rejected(Arrays.copyOf(webp, webp.length - 20), LIMITS);
    assertThat(e.reason()).isEqualTo(Reason.CORRUPT_IMAGE);
    assertThat(e.getMessage()).contains("RIFF header claims");
  }

  @Test
  void aPngWithABadCrcIsCorrupt() {
    byte[] png = HostileImages.encode(HostileImages.gradient(64, 64), "png");
    ImageRejectedException e = rejected(HostileImages.pngWithBadCrc(png), LIMITS);
    assertThat(e.reason()).isEqualTo(Reason.CORRUPT_IMAGE);
    assertThat(e.getMessage()).contains("IDAT chunk").contains("CRC");
  }

  @Test
  void aGifFrameWithNoDataIsCorrupt() {
    ImageRejectedException e = rejected(HostileImages.gifWithEmptyFrame(32, 32), LIMITS);
    assertThat(e.reason()).isEqualTo(Reason.CORRUPT_IMAGE);
    assertThat(e.getMessage()).contains("no image data");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 2, -1})
  void fourChannelJpegsWithoutAProfileConvert(int adobeTransform) throws Exception {
    BufferedImage gray = HostileImages.gradient(48, 48);
    DecodedImage d = ImageDecoder.decode(HostileImages.fourChannelJpeg(gray, adobeTransform), LIMITS);
    Preprocessor p = new Preprocessor(new PreprocessingSpec(48, 48, 1, ResizePolicy.PAD_CENTER, Interpolation.BILINEAR, 0));
    float[] actual = p.apply(d.image());
    float[] expected = p.apply(gray);
    assertThat(correlation(actual, expected)).as("Adobe transform %d", adobeTransform).isGreaterThan(0.95);
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 6, 8})
  void exifOrientationIsApplied(int orientation) throws Exception {
    BufferedImage upright = HostileImages.gradient(40, 24); // bright block at the top left
    // Store the picture the way a camera would: rotated, with the tag saying how to turn it back.
    BufferedImage stored = Orientation.apply(upright, inverse(orientation));
    byte[] jpeg = HostileImages.withExifOrientation(HostileImages.encode(stored, "png").length > 0
        ? HostileImages.encode(toRgb(stored), "jpeg") : null, orientation);
    DecodedImage d = ImageDecoder.decode(jpeg, LIMITS);
    assertThat(d.width()).isEqualTo(40);
    assertThat(d.height()).isEqualTo(24);
    assertThat(d.image().getRGB(3, 3) & 0xff).as("top left is bright").isGreaterThan(220);
    assertThat(d.image().getRGB(36, 20) & 0xff).as("bottom right is not").isLessThan(200);
  }

  private static int inverse(int orientation) {
    return switch (orientation) {
      case 6 -> 8;
      case 8 -> 6;
      default -> orientation;
    };
  }

  private static BufferedImage toRgb(BufferedImage gray) {
    BufferedImage rgb = new BufferedImage(gray.getWidth(), gray.getHeight(), BufferedImage.TYPE_INT_RGB);
    rgb.getGraphics().drawImage(gray, 0, 0, null);
    return rgb;
  }

  @Test
  void filesThatMerelyClaimHugeSizesAreRefusedFromTheHeaderCheaply() {
    byte[] png = HostileImages.pngClaiming(7000, 7000, 8, 0, 4); // gray: within the memory limit
    byte[] jpeg = HostileImages.jpegClaiming(7000, 7000);
    byte[] webp = HostileImages.webpClaiming(7000, 7000);
    for (byte[] file : new byte[][] {png, jpeg, webp}) {
      long allocated = allocatedBy(() -> assertThat(rejected(file, LIMITS).reason()).isIn(Reason.CORRUPT_IMAGE, Reason.TOO_LARGE));
      assertThat(allocated).as("bytes allocated to refuse a %d-byte file", file.length).isLessThan(16L << 20);
    }
    assertThat(rejected(png, LIMITS).getMessage()).contains("claims 7000x7000").contains("only " + png.length + " bytes");
  }

  @Test
  void theMemoryLimitCountsChannelsAndBitDepth() {
    // The same 4000x4000 size: 8-bit gray fits 128 MiB, 16-bit RGBA does not.
    DecodeLimits limits = LIMITS.withMaxDecodedBytes(128L << 20);
    byte[] rgba16 = HostileImages.pngClaiming(4000, 4000, 16, 6, 4);
    ImageRejectedException e = rejected(rgba16, limits);
    assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
    assertThat(e.getMessage()).contains("4 channels of 64 bits").contains("max-decoded-bytes");
    byte[] gray8 = HostileImages.pngClaiming(4000, 4000, 8, 0, 4000);
    assertThat(allocatedBy(() -> {
      try {
        ImageDecoder.decode(gray8, limits);
      } catch (ImageRejectedException x) {
        throw new AssertionError(x);
      }
    })).isGreaterThan(16_000_000L); // it was decoded
  }

  @Test
  void aJpegWithThousandsOfScansIsRefusedBeforeDecoding() {
    byte[] jpeg = HostileImages.withRepeatedScans(HostileImages.progressiveJpeg(toRgb(HostileImages.gradient(16, 16))), 9000);
    assertThat(jpeg.length).isLessThan(2 << 20);
    long t0 = System.nanoTime();
    ImageRejectedException e = rejected(jpeg, LIMITS);
    assertThat(e.reason()).isEqualTo(Reason.CORRUPT_IMAGE);
    assertThat(e.getMessage()).contains("more than 256 scans");
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1000);
  }

  @Test
  void aSlowDecodeStopsAtItsTimeBudget() {
    // 200 full passes over a 1024x1024 noise image (under the scan limit): seconds of work.
    BufferedImage noisy = new BufferedImage(1024, 1024, BufferedImage.TYPE_INT_RGB);
    java.util.Random rnd = new java.util.Random(3);
    for (int y = 0; y < 1024; y++) {
      for (int x = 0; x < 1024; x++) {
        noisy.setRGB(x, y, rnd.nextInt());
      }
    }
    byte[] jpeg = HostileImages.withRepeatedScans(HostileImages.progressiveJpeg(noisy), 200);
    DecodeLimits limits = LIMITS.withDecodeTimeoutMillis(300).withMaxEncodedBytes(1L << 30);
    long t0 = System.nanoTime();
    ImageRejectedException e = rejected(jpeg, limits);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("slow JPEG: " + jpeg.length + " bytes, refused after " + ms + " ms: " + e.getMessage());
    assertThat(e.reason()).isEqualTo(Reason.DECODE_TIMEOUT);
    assertThat(e.getMessage()).contains("budget is 300 ms");
    assertThat(ms).as("wall time of the refused decode").isLessThan(3000);
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
}
