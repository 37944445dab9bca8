package dev.ibq.image;

import dev.ibq.image.ImageRejectedException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Structural checks of the encoded bytes that the ImageIO readers skip, each a linear walk over the
 * file's container that allocates nothing: PNG chunk CRCs and the IEND chunk, the RIFF length of a WebP
 * file, the first GIF frame's image data, and the number of JPEG scans. A file that fails one is
 * CORRUPT_IMAGE, where the reader would have returned a partly blank picture (or, for thousands of
 * empty progressive scans, taken minutes to return one).
 */
final class FormatChecks {

  /**
   * Most scans accepted in one JPEG. A progressive JPEG from libjpeg's default script has 10, and
   * optimizers rarely exceed a few dozen; every scan costs a pass over the coefficients.
   */
  static final int MAX_JPEG_SCANS = 256;

  private FormatChecks() {}

  /** Checks {@code b}, already identified as {@code format}. */
  static void check(String format, byte[] b) throws ImageRejectedException {
    switch (format) {
      case "png" -> png(b);
      case "webp" -> webp(b);
      case "gif" -> gif(b);
      case "jpeg" -> jpeg(b);
      default -> { }
    }
  }

  private static ImageRejectedException corrupt(String format, String what) {
    return new ImageRejectedException(Reason.CORRUPT_IMAGE, "The " + format + " file " + what + "; the image is truncated or corrupt.");
  }

  private static int be32(byte[] b, int i) {
    return (b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
  }

  private static long le32(byte[] b, int i) {
    return (b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16 | (b[i + 3] & 0xffL) << 24;
  }

  /** Every chunk's length fits, every CRC matches, and the file reaches IEND. */
  static void png(byte[] b) throws ImageRejectedException {
    int pos = 8;
    CRC32 crc = new CRC32();
    while (true) {
      if (pos + 12 > b.length) {
        throw corrupt("PNG", "ends at byte " + b.length + " before its IEND chunk");
      }
      long length = be32(b, pos) & 0xffffffffL;
      if (length > b.length - pos - 12L) {
        throw corrupt("PNG", "has a chunk at byte " + pos + " that claims " + length + " bytes, more than the "
            + (b.length - pos - 12) + " left");
      }
      String type = new String(b, pos + 4, 4, StandardCharsets.ISO_8859_1);
      crc.reset();
      crc.update(b, pos + 4, 4 + (int) length);
      int stored = be32(b, pos + 8 + (int) length);
      if ((int) crc.getValue() != stored) {
        throw corrupt("PNG", "has a " + type + " chunk at byte " + pos + " whose CRC does not match its data");
      }
      pos += 12 + (int) length;
      if (type.equals("IEND")) {
        return;
      }
    }
  }

  /** The RIFF length covers exactly the chunks that are there, and each chunk fits. */
  static void webp(byte[] b) throws ImageRejectedException {
    if (b.length < 20) {
      throw corrupt("WebP", "is only " + b.length + " bytes long");
    }
    long riff = le32(b, 4);
    if (riff + 8 > b.length) {
      throw corrupt("WebP", "is " + b.length + " bytes long but its RIFF header claims " + (riff + 8));
    }
    long end = riff + 8;
    long pos = 12;
    while (pos < end) {
      if (pos + 8 > end) {
        throw corrupt("WebP", "has a partial chunk header at byte " + pos);
      }
      long size = le32(b, (int) pos + 4);
      long next = pos + 8 + size + (size & 1);
      if (pos + 8 + size > end) {
        throw corrupt("WebP", "has a chunk at byte " + pos + " that claims " + size + " bytes, past the end of the file");
      }
      pos = next;
    }
  }

  /** The first frame's image data is present (at least one data sub-block) and complete. */
  static void gif(byte[] b) throws ImageRejectedException {
    if (b.length < 13) {
      throw corrupt("GIF", "is only " + b.length + " bytes long");
    }
    int pos = 13;
    int flags = b[10] & 0xff;
    if ((flags & 0x80) != 0) {
      pos += 3 * (1 << ((flags & 7) + 1)); // global color table
    }
    while (true) {
      if (pos >= b.length) {
        throw corrupt("GIF", "ends before its first frame");
      }
      int introducer = b[pos] & 0xff;
      if (introducer == 0x21) { // extension: label, then sub-blocks
        pos = skipSubBlocks(b, pos + 2);
      } else if (introducer == 0x2C) { // image descriptor
        if (pos + 10 > b.length) {
          throw corrupt("GIF", "ends inside its first image descriptor");
        }
        int local = b[pos + 9] & 0xff;
        pos += 10;
        if ((local & 0x80) != 0) {
          pos += 3 * (1 << ((local & 7) + 1));
        }
        pos++; // LZW minimum code size
        if (pos >= b.length) {
          throw corrupt("GIF", "ends before its first frame's image data");
        }
        if ((b[pos] & 0xff) == 0) {
          throw corrupt("GIF", "has a first frame with no image data");
        }
        skipSubBlocks(b, pos);
        return;
      } else if (introducer == 0x3B) {
        throw corrupt("GIF", "ends (trailer) without any frame");
      } else {
        throw corrupt("GIF", "has an unknown block 0x" + Integer.toHexString(introducer) + " at byte " + pos);
      }
    }
  }

  /** Skips data sub-blocks from {@code pos} through the terminator; returns the position after it. */
  private static int skipSubBlocks(byte[] b, int pos) throws ImageRejectedException {
    while (true) {
      if (pos >= b.length) {
        throw corrupt("GIF", "ends inside a block of data sub-blocks");
      }
      int n = b[pos] & 0xff;
      pos += 1 + n;
      if (n == 0) {
        return pos;
      }
    }
  }

  /** At most {@link #MAX_JPEG_SCANS} scans (start-of-scan markers). */
  static void jpeg(byte[] b) throws ImageRejectedException {
    int scans = 0;
    int pos = 2; // after SOI
    while (pos + 4 <= b.length) {
      if ((b[pos] & 0xff) != 0xFF) {
        pos++; // entropy-coded data between markers
        continue;
      }
      int marker = b[pos + 1] & 0xff;
      if (marker == 0x00 || marker == 0xFF || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
        pos += marker == 0xFF ? 1 : 2; // stuffed byte, fill byte, or a marker without a length
        continue;
      }
      if (marker == 0xD9) {
        return; // EOI
      }
      int length = (b[pos + 2] & 0xff) << 8 | (b[pos + 3] & 0xff);
      if (marker == 0xDA && ++scans > MAX_JPEG_SCANS) {
        throw new ImageRejectedException(Reason.CORRUPT_IMAGE, "The JPEG file has more than " + MAX_JPEG_SCANS
            + " scans; a progressive JPEG normally has about 10, and each scan costs a pass over the whole image,"
            + " so this one is refused as crafted or corrupt.");
      }
      pos += 2 + length;
    }
  }

  /**
   * Refuses a file far too small for the size its header claims: even at the format's best compression
   * a {@code width x height} image needs some bytes. PNG: deflate compresses at most about 1032:1, so the
   * filtered scanlines ({@code height x (1 + width x bits / 8)} bytes) need at least 1/1032 of that.
   * JPEG (Huffman-coded; the JDK decodes no arithmetic coding): each 8x8 block of the first component
   * costs at least one bit. Other formats are bounded by the memory limit only.
   */
  static void plausibleSize(String format, int width, int height, int bitsPerPixel, long encodedBytes)
      throws ImageRejectedException {
    long needed;
    if (format.equals("png")) {
      long scanlines = (long) height * (1 + ((long) width * bitsPerPixel + 7) / 8);
      needed = scanlines / 1032;
    } else if (format.equals("jpeg")) {
      needed = ((long) width / 8) * ((long) height / 8) / 8;
    } else {
      return;
    }
    if (encodedBytes < needed) {
      throw new ImageRejectedException(Reason.CORRUPT_IMAGE, "The " + format.toUpperCase(java.util.Locale.ROOT)
          + " header claims " + width + "x" + height + " pixels, but the file has only " + encodedBytes
          + " bytes; even at the format's best compression such an image needs at least " + needed
          + " bytes, so the file is truncated or forged.");
    }
  }
}
