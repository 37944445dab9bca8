package dev.ibq.image;

import dev.ibq.image.ImageRejectedException.Reason;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.SampleModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.event.IIOReadProgressListener;
import javax.imageio.event.IIOReadWarningListener;

/**
 * Decodes encoded image bytes with the JDK and TwelveMonkeys readers (PNG, JPEG incl. gray, CMYK
 * and YCCK, BMP, GIF, TIFF, WebP, PNM), independent of ImageIO's JVM-wide plugin registry (see
 * {@link ImageReaders}). Thread-safe: every call gets its own reader.
 *
 * <p>Order of checks, each refusal an {@link ImageRejectedException} with a {@link Reason}: empty
 * bytes, encoded size, format sniffed from the bytes (the content type is not trusted), structural
 * checks the readers skip ({@link FormatChecks}: PNG CRCs, WebP RIFF length, GIF frame data, JPEG
 * scan count), then from the header alone, before any pixel is decompressed: the pixel, minimum-size
 * and decode-memory limits ({@link DecodeLimits#decodeMemoryBytes}: channels and bit depth count) and
 * whether the file is large enough for the size it claims. Then the decode itself, within the time
 * budget ({@link DecodeLimits#decodeTimeoutMillis}: the input stream refuses reads after the deadline
 * and the reader is aborted at its next progress report; DECODE_TIMEOUT). Finally the EXIF
 * orientation is applied ({@link Orientation}), so every caller sees the picture upright. Multi-frame
 * GIF and TIFF files give their first frame.
 */
public final class ImageDecoder {

  private ImageDecoder() {}

  /**
   * Decodes {@code encoded} within {@code limits}.
   *
   * @throws ImageRejectedException when the bytes are empty, too large (encoded, in pixels or in decode
   *     memory), of a refused or unknown format, too small, corrupt, or too slow to decode
   */
  public static DecodedImage decode(byte[] encoded, DecodeLimits limits) throws ImageRejectedException {
    if (encoded == null || encoded.length == 0) {
      throw new ImageRejectedException(Reason.EMPTY, "The image payload is empty; expected encoded image bytes (PNG, JPEG, ...).");
    }
    if (encoded.length > limits.maxEncodedBytes()) {
      throw new ImageRejectedException(Reason.TOO_LARGE, "The encoded image is " + encoded.length
          + " bytes; the limit is " + limits.maxEncodedBytes() + " bytes (max-encoded-bytes).");
    }
    ImageReaders.providersInOrder(); // loads the readers first: class loading is not the image's decode time
    long start = System.nanoTime();
    long deadline = start + limits.decodeTimeoutMillis() * 1_000_000L;
    try (BoundedImageStream input = new BoundedImageStream(encoded, deadline, limits.decodeTimeoutMillis())) {
      ImageReader reader = ImageReaders.readerFor(input);
      if (reader == null) {
        throw new ImageRejectedException(Reason.UNSUPPORTED_FORMAT, "The bytes (" + encoded.length + " bytes, starting "
            + hexPrefix(encoded) + ") are not in any image format this decoder reads; expected one of "
            + DecodeLimits.ALL_FORMATS + ".");
      }
      input.seek(0);
      try {
        return read(reader, input, encoded, limits, start);
      } finally {
        reader.dispose();
      }
    } catch (BoundedImageStream.DeadlineExceeded e) {
      throw timeout(limits, start, "while identifying the format");
    } catch (IOException e) {
      throw new ImageRejectedException(Reason.CORRUPT_IMAGE, "The image stream failed (" + describe(e) + ").", e);
    }
  }

  private static DecodedImage read(
      ImageReader reader, BoundedImageStream input, byte[] encoded, DecodeLimits limits, long start)
      throws ImageRejectedException, IOException {
    String format = formatOf(reader);
    String name = format.toUpperCase(Locale.ROOT);
    if (!limits.allowedFormats().contains(format)) {
      throw new ImageRejectedException(Reason.UNSUPPORTED_FORMAT, "The image is " + name
          + "; the allowed formats are " + limits.allowedFormats() + ".");
    }
    FormatChecks.check(format, encoded);
    reader.setInput(input, true, true);
    int width;
    int height;
    ImageTypeSpecifier type;
    try {
      width = reader.getWidth(0);
      height = reader.getHeight(0);
      checkDimensions(width, height, limits);
      type = headerType(reader);
    } catch (ImageRejectedException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      if (input.expired()) {
        throw timeout(limits, start, "reading the " + name + " header");
      }
      throw new ImageRejectedException(Reason.CORRUPT_IMAGE, "The " + name
          + " header could not be read (" + describe(e) + "); the image is truncated or corrupt.", e);
    }
    int bands = type == null ? 4 : type.getSampleModel().getNumBands();
    int bits = type == null ? 64 : bitsPerPixel(type.getSampleModel());
    int floatBands = type != null && type.getColorModel() instanceof IndexColorModel icm ? (icm.hasAlpha() ? 4 : 3) : bands;
    int orientation = Orientation.of(format, encoded);
    long memory = DecodeLimits.decodeMemoryBytes(width, height, floatBands, bits)
        + (orientation > 1 ? (long) width * height * bits / 8 : 0); // the turned copy of the raster
    if (memory > limits.maxDecodedBytes()) {
      throw new ImageRejectedException(Reason.TOO_LARGE, "The " + name + " image is " + width + "x" + height + " with "
          + bands + " channels of " + bits + " bits per pixel in all" + (type == null ? " (assumed: the header does not say)" : "")
          + ", which takes about " + (memory >> 20) + " MiB to decode and preprocess; the limit is "
          + (limits.maxDecodedBytes() >> 20) + " MiB (max-decoded-bytes).");
    }
    FormatChecks.plausibleSize(format, width, height, bits, encoded.length);

    List<String> warnings = new ArrayList<>();
    boolean[] aborted = {false};
    reader.addIIOReadWarningListener((IIOReadWarningListener) (source, warning) -> warnings.add(warning));
    reader.addIIOReadProgressListener(new DeadlineWatch(reader, input, aborted));
    BufferedImage image;
    try {
      ImageReadParam param = reader.getDefaultReadParam();
      image = reader.read(0, param);
    } catch (IOException | RuntimeException e) {
      if (input.expired()) {
        throw timeout(limits, start, "decoding the " + width + "x" + height + " " + name + " image");
      }
      throw new ImageRejectedException(Reason.CORRUPT_IMAGE, "The " + name + " image ("
          + width + "x" + height + ") could not be decoded (" + describe(e) + "); the image is truncated or corrupt.", e);
    }
    if (aborted[0] || input.expired()) {
      throw timeout(limits, start, "decoding the " + width + "x" + height + " " + name + " image");
    }
    warnings.removeIf(ImageDecoder::isColorAdvisory);
    if (limits.strict() && !warnings.isEmpty()) {
      throw new ImageRejectedException(Reason.CORRUPT_IMAGE, "The " + name + " image ("
          + width + "x" + height + ") decoded with warnings " + warnings + "; strict decoding treats it as corrupt.");
    }
    return new DecodedImage(Orientation.apply(image, orientation), format);
  }

  /**
   * True for a reader warning about color management rather than damaged data, e.g. TwelveMonkeys'
   * "No embedded ICC color profile, will convert using inaccurate CMYK to RGB conversion".
   *
   * <p>NOTE: strict decoding refuses images whose decode warned, because the JPEG reader reports a
   * truncated scan only as a warning; a valid CMYK or YCCK JPEG without a profile is converted with
   * the reader's built-in profile (as PIL does), so its advisory does not make it corrupt.
   */
  static boolean isColorAdvisory(String warning) {
    String w = warning == null ? "" : warning.toLowerCase(Locale.ROOT);
    return w.contains("icc") && w.contains("profile");
  }

  /** The decoded image type as the header describes it, or null when the reader cannot say. */
  private static ImageTypeSpecifier headerType(ImageReader reader) throws IOException {
    ImageTypeSpecifier raw = reader.getRawImageType(0);
    if (raw != null) {
      return raw;
    }
    Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
    return types != null && types.hasNext() ? types.next() : null;
  }

  private static int bitsPerPixel(SampleModel sm) {
    int bits = 0;
    for (int b = 0; b < sm.getNumBands(); b++) {
      bits += sm.getSampleSize(b);
    }
    return bits;
  }

  private static ImageRejectedException timeout(DecodeLimits limits, long start, String doing) {
    long ms = (System.nanoTime() - start) / 1_000_000;
    return new ImageRejectedException(Reason.DECODE_TIMEOUT, "Decoding was stopped after " + ms + " ms " + doing
        + "; the budget is " + limits.decodeTimeoutMillis() + " ms per image (decode-timeout-ms).");
  }

  /** Aborts the read at its next progress report once the deadline has passed. */
  private record DeadlineWatch(ImageReader reader, BoundedImageStream input, boolean[] aborted)
      implements IIOReadProgressListener {
    private void check() {
      if (input.expired()) {
        aborted[0] = true;
        reader.abort();
      }
    }

    @Override
    public void imageProgress(ImageReader source, float percentageDone) {
      check();
    }

    @Override
    public void imageStarted(ImageReader source, int imageIndex) {
      check();
    }

    @Override
    public void imageComplete(ImageReader source) {}

    @Override
    public void readAborted(ImageReader source) {
      aborted[0] = true;
    }

    @Override
    public void sequenceStarted(ImageReader source, int minIndex) {}

    @Override
    public void sequenceComplete(ImageReader source) {}

    @Override
    public void thumbnailStarted(ImageReader source, int imageIndex, int thumbnailIndex) {}

    @Override
    public void thumbnailProgress(ImageReader source, float percentageDone) {}

    @Override
    public void thumbnailComplete(ImageReader source) {}
  }

  /** Throws unless {@code width x height} is within {@code limits}. */
  static void checkDimensions(int width, int height, DecodeLimits limits) throws ImageRejectedException {
    long pixels = (long) width * height;
    if (width <= 0 || height <= 0) {
      throw new ImageRejectedException(Reason.CORRUPT_IMAGE, "The image header claims " + width + "x" + height
          + " pixels; both sides must be positive.");
    }
    if (pixels > limits.maxPixels()) {
      throw new ImageRejectedException(Reason.TOO_LARGE, "The image is " + width + "x" + height + " pixels; the limit is "
          + megapixels(limits.maxPixels()) + " (max-pixels).");
    }
    if (width < limits.minWidth() || height < limits.minHeight()) {
      throw new ImageRejectedException(Reason.TOO_SMALL, "The image is " + width + "x" + height + " pixels; the minimum is "
          + limits.minWidth() + "x" + limits.minHeight() + " (min-size).");
    }
  }

  private static String formatOf(ImageReader reader) {
    String[] names = reader.getOriginatingProvider() == null ? new String[0] : reader.getOriginatingProvider().getFormatNames();
    List<String> lower = new ArrayList<>();
    for (String name : names) {
      lower.add(name.toLowerCase(Locale.ROOT));
    }
    for (String known : List.of("png", "jpeg", "bmp", "gif", "tiff", "webp", "pnm")) {
      if (lower.contains(known)) {
        return known;
      }
    }
    if (lower.contains("jpg")) {
      return "jpeg";
    }
    if (lower.contains("tif")) {
      return "tiff";
    }
    if (lower.contains("pgm") || lower.contains("ppm") || lower.contains("pbm") || lower.contains("pam")) {
      return "pnm";
    }
    return lower.isEmpty() ? "unknown" : lower.get(0);
  }

  private static String megapixels(long pixels) {
    return pixels % 1_000_000 == 0 ? (pixels / 1_000_000) + " megapixels" : pixels + " pixels";
  }

  private static String hexPrefix(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(8, bytes.length); i++) {
      sb.append(String.format("%02X", bytes[i] & 0xff));
      if (i < Math.min(8, bytes.length) - 1) {
        sb.append(' ');
      }
    }
    return sb.toString();
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
