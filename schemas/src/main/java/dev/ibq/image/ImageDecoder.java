package dev.ibq.image;

import dev.ibq.image.ImageRejectedException.Reason;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes encoded image bytes with ImageIO and the TwelveMonkeys plugins on the class path (PNG,
 * JPEG incl. gray and CMYK, BMP, GIF, TIFF, WebP, PNM). Thread-safe: every call gets its own
 * reader.
 *
 * <p>Order of checks, each refusal an {@link ImageRejectedException} with a {@link Reason}: empty
 * bytes, encoded size, format sniffed from the bytes (the content type is not trusted), header
 * dimensions against the pixel and minimum-size limits (before any pixel is decompressed), then
 * the decode itself. Multi-frame GIF and TIFF files give their first frame.
 *
 * <p>NOTE: in a Flink task, plugins shipped in the user jar are registered by
 * {@link ImageIO#scanForPlugins()}, which this class calls once with the context class loader of
 * the first thread that uses it.
 */
public final class ImageDecoder {

  static {
    ImageIO.scanForPlugins();
  }

  private ImageDecoder() {}

  /**
   * Decodes {@code encoded} within {@code limits}.
   *
   * @throws ImageRejectedException when the bytes are empty, too large, of a refused or unknown
   *     format, too small, or corrupt
   */
  public static DecodedImage decode(byte[] encoded, DecodeLimits limits) throws ImageRejectedException {
    if (encoded == null || encoded.length == 0) {
      throw new ImageRejectedException(Reason.EMPTY, "The image payload is empty; expected encoded image bytes (PNG, JPEG, ...).");
    }
    if (encoded.length > limits.maxEncodedBytes()) {
      throw new ImageRejectedException(Reason.TOO_LARGE, "The encoded image is " + encoded.length
          + " bytes; the limit is " + limits.maxEncodedBytes() + " bytes (max-encoded-bytes).");
    }
    try (ImageInputStream input = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
      ImageReader reader = findReader(input, encoded);
      try {
        String format = formatOf(reader);
        if (!limits.allowedFormats().contains(format)) {
          throw new ImageRejectedException(Reason.UNSUPPORTED_FORMAT, "The image is " + format.toUpperCase(Locale.ROOT)
              + "; the allowed formats are " + limits.allowedFormats() + ".");
        }
        reader.setInput(input, true, true);
        int width;
        int height;
        try {
          width = reader.getWidth(0);
          height = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
          throw new ImageRejectedException(Reason.CORRUPT_IMAGE, "The " + format.toUpperCase(Locale.ROOT)
              + " header could not be read (" + describe(e) + "); the image is truncated or corrupt.", e);
        }
        checkDimensions(width, height, limits);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((IIOReadWarningListener) (source, warning) -> warnings.add(warning));
        BufferedImage image;
        try {
          ImageReadParam param = reader.getDefaultReadParam();
          image = reader.read(0, param);
        } catch (IOException | RuntimeException e) {
          throw new ImageRejectedException(Reason.CORRUPT_IMAGE, "The " + format.toUpperCase(Locale.ROOT) + " image ("
              + width + "x" + height + ") could not be decoded (" + describe(e) + "); the image is truncated or corrupt.", e);
        }
        if (limits.strict() && !warnings.isEmpty()) {
          throw new ImageRejectedException(Reason.CORRUPT_IMAGE, "The " + format.toUpperCase(Locale.ROOT) + " image ("
              + width + "x" + height + ") decoded with warnings " + warnings + "; strict decoding treats it as corrupt.");
        }
        return new DecodedImage(image, format);
      } finally {
        reader.dispose();
      }
    } catch (IOException e) {
      // Closing a memory stream does not fail in practice; report it as corrupt rather than crash.
      throw new ImageRejectedException(Reason.CORRUPT_IMAGE, "The image stream failed (" + describe(e) + ").", e);
    }
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

  private static ImageReader findReader(ImageInputStream input, byte[] encoded) throws ImageRejectedException {
    Iterator<ImageReader> readers = ImageIO.getImageReaders(input);
    if (!readers.hasNext()) {
      throw new ImageRejectedException(Reason.UNSUPPORTED_FORMAT, "The bytes (" + encoded.length + " bytes, starting "
          + hexPrefix(encoded) + ") are not in any image format this decoder reads; expected one of " + DecodeLimits.ALL_FORMATS + ".");
    }
    return readers.next();
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
