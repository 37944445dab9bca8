package dev.ibq.image;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What {@link ImageDecoder} accepts. The pixel limit is checked on the header dimensions, before
 * any pixel is decompressed, so decompression bombs cost a header read. Memory: decoding and
 * preprocessing an accepted image holds about {@code maxPixels * 20} bytes at its peak (the decoded
 * image plus float planes), about 1 GB at the default 50 megapixels; lower the limit for many
 * parallel decoders.
 *
 * @param maxEncodedBytes largest accepted encoded size
 * @param maxPixels largest accepted {@code width * height}
 * @param minWidth smallest accepted width
 * @param minHeight smallest accepted height
 * @param allowedFormats lower-case format names among {@link #ALL_FORMATS}
 * @param strict when true, a decoder warning (e.g. "premature end of JPEG file") rejects the image
 *     as corrupt instead of returning a partly grey picture
 */
public record DecodeLimits(
    long maxEncodedBytes, long maxPixels, int minWidth, int minHeight, Set<String> allowedFormats, boolean strict) {

  /** Every format name the decoder can report. */
  public static final Set<String> ALL_FORMATS = Set.of("png", "jpeg", "bmp", "gif", "tiff", "webp", "pnm");

  public DecodeLimits {
    if (maxEncodedBytes < 1 || maxPixels < 1 || minWidth < 1 || minHeight < 1) {
      throw new IllegalArgumentException("Decode limits must be positive; got max-bytes " + maxEncodedBytes
          + ", max-pixels " + maxPixels + ", min size " + minWidth + "x" + minHeight + ".");
    }
    allowedFormats = Set.copyOf(Objects.requireNonNull(allowedFormats, "allowed formats").stream()
        .map(f -> f.toLowerCase(Locale.ROOT)).collect(Collectors.toSet()));
    for (String format : allowedFormats) {
      if (!ALL_FORMATS.contains(format)) {
        throw new IllegalArgumentException("Unknown image format '" + format + "'; known formats are " + ALL_FORMATS + ".");
      }
    }
  }

  /** 20 MiB encoded, 50 megapixels, at least 8x8, every format, strict. */
  public static DecodeLimits defaults() {
    return new DecodeLimits(20L << 20, 50_000_000L, 8, 8, ALL_FORMATS, true);
  }

  public DecodeLimits withMaxPixels(long value) {
    return new DecodeLimits(maxEncodedBytes, value, minWidth, minHeight, allowedFormats, strict);
  }

  public DecodeLimits withMaxEncodedBytes(long value) {
    return new DecodeLimits(value, maxPixels, minWidth, minHeight, allowedFormats, strict);
  }

  public DecodeLimits withMinSize(int width, int height) {
    return new DecodeLimits(maxEncodedBytes, maxPixels, width, height, allowedFormats, strict);
  }

  public DecodeLimits withAllowedFormats(Set<String> formats) {
    return new DecodeLimits(maxEncodedBytes, maxPixels, minWidth, minHeight, formats, strict);
  }

  public DecodeLimits withStrict(boolean value) {
    return new DecodeLimits(maxEncodedBytes, maxPixels, minWidth, minHeight, allowedFormats, value);
  }
}
