package dev.ibq.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.ImageRejectedException.Reason;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.ImageIO;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Refusals: each bad input gives its typed reason and a full-sentence message, never a crash. */
class ImageDecoderTest {

  private static byte[] png;
  private static byte[] jpeg;

  @BeforeAll
  static void encodeARealImage() throws IOException {
    var image = FashionMnist.load(FashionMnist.Split.TEST).image(0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    png = out.toByteArray();
    out = new ByteArrayOutputStream();
    ImageIO.write(image, "jpeg", out);
    jpeg = out.toByteArray();
  }

  @Test
  void emptyBytesAreEmpty() {
    assertRejected(() -> ImageDecoder.decode(new byte[0], DecodeLimits.defaults()), Reason.EMPTY, "payload is empty");
    assertRejected(() -> ImageDecoder.decode(null, DecodeLimits.defaults()), Reason.EMPTY, "payload is empty");
  }

  @Test
  void bytesOfNoImageFormatAreUnsupported() {
    byte[] noise = new byte[4096];
    new Random(7).nextBytes(noise);
    noise[0] = 'X';
    assertRejected(() -> ImageDecoder.decode(noise, DecodeLimits.defaults()), Reason.UNSUPPORTED_FORMAT, "not in any image format");
    assertRejected(() -> ImageDecoder.decode("hello, world".getBytes(), DecodeLimits.defaults()), Reason.UNSUPPORTED_FORMAT, "starting 68 65 6C");
  }

  @Test
  void aFormatOutsideTheAllowedOnesIsUnsupported() {
    assertRejected(() -> ImageDecoder.decode(png, DecodeLimits.defaults().withAllowedFormats(Set.of("jpeg"))),
        Reason.UNSUPPORTED_FORMAT, "The image is PNG; the allowed formats are [jpeg]");
  }

  @Test
  void truncatedAndDamagedFilesAreCorrupt() {
    assertRejected(() -> ImageDecoder.decode(Arrays.copyOf(png, png.length / 2), DecodeLimits.defaults()),
        Reason.CORRUPT_IMAGE, "truncated or corrupt");
    assertRejected(() -> ImageDecoder.decode(Arrays.copyOf(png, 20), DecodeLimits.defaults()),
        Reason.CORRUPT_IMAGE, "PNG file has a chunk at byte 8 that claims 13 bytes");
    assertRejected(() -> ImageDecoder.decode(Arrays.copyOf(jpeg, jpeg.length / 2), DecodeLimits.defaults()),
        Reason.CORRUPT_IMAGE, "JPEG");
    // Cut inside the entropy-coded scan: the JPEG reader only warns ("premature end"), strict mode refuses.
    assertRejected(() -> ImageDecoder.decode(jpegCutInsideScan(), DecodeLimits.defaults()),
        Reason.CORRUPT_IMAGE, "decoded with warnings");
    byte[] scrambled = png.clone();
    for (int i = 60; i < scrambled.length - 20; i++) {
      scrambled[i] = (byte) (scrambled[i] * 31 + 7);
    }
    assertRejected(() -> ImageDecoder.decode(scrambled, DecodeLimits.defaults()), Reason.CORRUPT_IMAGE, "PNG");
  }

  @Test
  void lenientModeReturnsTheReadablePartOfATruncatedJpeg() throws Exception {
    DecodedImage partial = ImageDecoder.decode(jpegCutInsideScan(), DecodeLimits.defaults().withStrict(false));
    assertThat(partial.width()).isEqualTo(28);
  }

  private static byte[] jpegCutInsideScan() {
    int sos = -1;
    for (int i = 0; i + 1 < jpeg.length; i++) {
      if ((jpeg[i] & 0xff) == 0xFF && (jpeg[i + 1] & 0xff) == 0xDA) {
        sos = i;
        break;
      }
    }
    assertThat(sos).as("start-of-scan marker").isPositive();
    return Arrays.copyOf(jpeg, (sos + 20 + jpeg.length) / 2);
  }

  @Test
  void aDecompressionBombIsRefusedFromItsHeader() throws IOException {
    byte[] bomb = pngHeaderOnly(100_000, 100_000);
    assertThat(bomb.length).isLessThan(200);
    long start = System.nanoTime();
    assertRejected(() -> ImageDecoder.decode(bomb, DecodeLimits.defaults()), Reason.TOO_LARGE,
        "The image is 100000x100000 pixels; the limit is 50 megapixels (max-pixels).");
    assertThat((System.nanoTime() - start) / 1e9).as("seconds to refuse").isLessThan(5);
  }

  @Test
  void sizeLimitsAreEnforced() {
    assertRejected(() -> ImageDecoder.decode(png, DecodeLimits.defaults().withMinSize(32, 32)), Reason.TOO_SMALL,
        "The image is 28x28 pixels; the minimum is 32x32 (min-size).");
    assertRejected(() -> ImageDecoder.decode(png, DecodeLimits.defaults().withMaxPixels(700)), Reason.TOO_LARGE,
        "28x28 pixels; the limit is 700 pixels");
    assertRejected(() -> ImageDecoder.decode(png, DecodeLimits.defaults().withMaxEncodedBytes(100)), Reason.TOO_LARGE,
        "bytes; the limit is 100 bytes");
  }

  @Test
  void reasonsMapOneToOneOntoDeadLetterCodes() {
    EnumSet<ErrorCode> codes = EnumSet.noneOf(ErrorCode.class);
    for (Reason reason : Reason.values()) {
      codes.add(reason.errorCode());
    }
    assertThat(codes).hasSize(Reason.values().length)
        .contains(ErrorCode.EMPTY_PAYLOAD, ErrorCode.UNSUPPORTED_FORMAT, ErrorCode.CORRUPT_IMAGE, ErrorCode.TOO_LARGE, ErrorCode.TOO_SMALL);
  }

  private static void assertRejected(ThrowingCallable call, Reason reason, String text) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(ImageRejectedException.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .hasMessageContaining(text)
        .hasMessageEndingWith(".");
  }

  /** A valid PNG signature, an IHDR claiming {@code width x height} 8-bit gray pixels, a tiny IDAT and IEND. */
  static byte[] pngHeaderOnly(int width, int height) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(ihdr);
    d.writeInt(width);
    d.writeInt(height);
    d.writeByte(8); // bit depth
    d.writeByte(0); // gray
    d.writeByte(0);
    d.writeByte(0);
    d.writeByte(0);
    chunk(out, "IHDR", ihdr.toByteArray());
    ByteArrayOutputStream idat = new ByteArrayOutputStream();
    try (DeflaterOutputStream z = new DeflaterOutputStream(idat, new Deflater(9))) {
      z.write(new byte[1000]); // would inflate to 10^10 bytes if the decoder kept going
    }
    chunk(out, "IDAT", idat.toByteArray());
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
    DataOutputStream d = new DataOutputStream(out);
    d.writeInt(data.length);
    byte[] typeBytes = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    d.write(typeBytes);
    d.write(data);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    d.writeInt((int) crc.getValue());
  }
}
