package dev.ibq.image;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What {@link ImageDecoder} accepts; the one set of limits that the stream job and the {@code encode}
 * command share. Every size limit is checked on the file's header, before any pixel is decompressed,
 * so a decompression bomb or a file that merely claims a huge size costs a header read.
 *
 * <p>Memory: {@link #decodeMemoryBytes} estimates the peak of decoding and preprocessing an image from
 * its header: the decoded raster ({@code pixels x bands x bits per sample / 8}) plus the float planes
 * the preprocessing reads it into ({@code pixels x bands x 4} bytes). So a 16-bit RGBA image counts
 * four times as much as an 8-bit gray one of the same size, and {@code maxDecodedBytes} bounds what one
 * decoder can take, whatever the format.
 *
 * @param maxEncodedBytes largest accepted encoded size
 * @param maxPixels largest accepted {@code width * height}
 * @param minWidth smallest accepted width
 * @param minHeight smallest accepted height
 * @param allowedFormats lower-case format names among {@link #ALL_FORMATS}
 * @param strict when true, a decoder warning (e.g. "premature end of JPEG file") rejects the image
 *     as corrupt instead of returning a partly grey picture
 * @param maxDecodedBytes largest accepted {@link #decodeMemoryBytes} estimate
 * @param decodeTimeoutMillis longest a decode may take; a slower one is refused as DECODE_TIMEOUT
 */
public record DecodeLimits(
    long maxEncodedBytes,
    long maxPixels,
    int minWidth,
    int minHeight,
    Set<String> allowedFormats,
    boolean strict,
    long maxDecodedBytes,
    long decodeTimeoutMillis) {

  /** Every format name the decoder can report. */
  public static final Set<String> ALL_FORMATS = Set.of("png", "jpeg", "bmp", "gif", "tiff", "webp", "pnm");

  /** Default {@link #maxEncodedBytes}: 16 MiB, the stream job's input record limit too. */
  public static final long DEFAULT_MAX_ENCODED_BYTES = 16L << 20;

  /** Default {@link #maxDecodedBytes}: 512 MiB. */
  public static final long DEFAULT_MAX_DECODED_BYTES = 512L << 20;

  /** Default {@link #decodeTimeoutMillis}: 10 s. */
  public static final long DEFAULT_DECODE_TIMEOUT_MILLIS = 10_000;

  public DecodeLimits {
    if (maxEncodedBytes < 1 || maxPixels < 1 || minWidth < 1 || minHeight < 1 || maxDecodedBytes < 1
        || decodeTimeoutMillis < 1) {
      throw new IllegalArgumentException("Decode limits must be positive; got max-bytes " + maxEncodedBytes
          + ", max-pixels " + maxPixels + ", min size " + minWidth + "x" + minHeight + ", max decoded bytes "
          + maxDecodedBytes + ", decode timeout " + decodeTimeoutMillis + " ms.");
    }
    allowedFormats = Set.copyOf(Objects.requireNonNull(allowedFormats, "allowed formats").stream()
        .map(f -> f.toLowerCase(Locale.ROOT)).collect(Collectors.toSet()));
    for (String format : allowedFormats) {
      if (!ALL_FORMATS.contains(format)) {
        throw new IllegalArgumentException("Unknown image format '" + format + "'; known formats are " + ALL_FORMATS + ".");
      }
    }
  }

  /** 16 MiB encoded, 50 megapixels, 512 MiB of decode memory, 10 s per decode, at least 8x8, every format, strict. */
  public static DecodeLimits defaults() {
    return new DecodeLimits(DEFAULT_MAX_ENCODED_BYTES, 50_000_000L, 8, 8, ALL_FORMATS, true,
        DEFAULT_MAX_DECODED_BYTES, DEFAULT_DECODE_TIMEOUT_MILLIS);
  }

  /**
   * Peak memory estimate of decoding and preprocessing a {@code width x height} image of {@code bands}
   * samples per pixel with {@code bitsPerPixel} bits in all: raster plus float planes.
   */
  public static long decodeMemoryBytes(int width, int height, int bands, int bitsPerPixel) {
    long pixels = (long) width * height;
    return pixels * bitsPerPixel / 8 + pixels * bands * Float.BYTES;
  }

  public DecodeLimits withMaxPixels(long value) {
    return new DecodeLimits(maxEncodedBytes, value, minWidth, minHeight, allowedFormats, strict, maxDecodedBytes,
        decodeTimeoutMillis);
  }

  public DecodeLimits withMaxEncodedBytes(long value) {
    return new DecodeLimits(value, maxPixels, minWidth, minHeight, allowedFormats, strict, maxDecodedBytes,
        decodeTimeoutMillis);
  }

  public DecodeLimits withMinSize(int width, int height) {
    return new DecodeLimits(maxEncodedBytes, maxPixels, width, height, allowedFormats, strict, maxDecodedBytes,
        decodeTimeoutMillis);
  }

  public DecodeLimits withAllowedFormats(Set<String> formats) {
    return new DecodeLimits(maxEncodedBytes, maxPixels, minWidth, minHeight, formats, strict, maxDecodedBytes,
        decodeTimeoutMillis);
  }

  public DecodeLimits withStrict(boolean value) {
    return new DecodeLimits(maxEncodedBytes, maxPixels, minWidth, minHeight, allowedFormats, value, maxDecodedBytes,
        decodeTimeoutMillis);
  }

  public DecodeLimits withMaxDecodedBytes(long value) {
    return new DecodeLimits(maxEncodedBytes, maxPixels, minWidth, minHeight, allowedFormats, strict, value,
        decodeTimeoutMillis);
  }

  public DecodeLimits withDecodeTimeoutMillis(long value) {
    return new DecodeLimits(maxEncodedBytes, maxPixels, minWidth, minHeight, allowedFormats, strict, maxDecodedBytes,
        value);
  }
}
