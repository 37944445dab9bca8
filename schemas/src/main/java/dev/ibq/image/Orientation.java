package dev.ibq.image;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.nio.charset.StandardCharsets;

/**
 * The EXIF orientation of an encoded image (TIFF tag 0x0112, values 1-8), read from where each format
 * keeps its EXIF block (JPEG APP1 "Exif", PNG eXIf, WebP EXIF), and applied to the decoded pixels, so
 * that a photo whose camera was held sideways is tokenized upright, as every viewer shows it.
 * Missing, unreadable or out-of-range values mean 1 (as stored).
 */
final class Orientation {

  private Orientation() {}

  /** The orientation stored in {@code b} (1-8), 1 when there is none. */
  static int of(String format, byte[] b) {
    try {
      return switch (format) {
        case "jpeg" -> jpeg(b);
        case "png" -> png(b);
        case "webp" -> webp(b);
        default -> 1;
      };
    } catch (RuntimeException e) {
      return 1; // a damaged EXIF block does not make the picture unreadable
    }
  }

  private static int jpeg(byte[] b) {
    int pos = 2;
    while (pos + 4 <= b.length && (b[pos] & 0xff) == 0xFF) {
      int marker = b[pos + 1] & 0xff;
      if (marker == 0xDA || marker == 0xD9) {
        return 1; // EXIF comes before the first scan
      }
      int length = (b[pos + 2] & 0xff) << 8 | (b[pos + 3] & 0xff);
      if (marker == 0xE1 && length >= 8 && pos + 2 + length <= b.length
          && new String(b, pos + 4, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) {
        return tiff(b, pos + 10, pos + 2 + length);
      }
      pos += 2 + length;
    }
    return 1;
  }

  private static int png(byte[] b) {
    int pos = 8;
    while (pos + 12 <= b.length) {
      int length = be(b, pos, 4);
      String type = new String(b, pos + 4, 4, StandardCharsets.ISO_8859_1);
      if (length < 0 || pos + 12L + length > b.length || type.equals("IDAT") || type.equals("IEND")) {
        return 1; // eXIf must precede the image data
      }
      if (type.equals("eXIf")) {
        return tiff(b, pos + 8, pos + 8 + length);
      }
      pos += 12 + length;
    }
    return 1;
  }

  private static int webp(byte[] b) {
    int pos = 12;
    while (pos + 8 <= b.length) {
      String type = new String(b, pos, 4, StandardCharsets.ISO_8859_1);
      long size = le(b, pos + 4, 4) & 0xffffffffL;
      if (pos + 8 + size > b.length) {
        return 1;
      }
      if (type.equals("EXIF")) {
        int start = pos + 8;
        if (size >= 6 && new String(b, start, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) {
          start += 6; // some writers keep the JPEG-style prefix
        }
        return tiff(b, start, pos + 8 + (int) size);
      }
      pos += 8 + (int) size + (int) (size & 1);
    }
    return 1;
  }

  /** Orientation tag of IFD0 of the TIFF structure at {@code b[start, end)}. */
  private static int tiff(byte[] b, int start, int end) {
    if (end - start < 8) {
      return 1;
    }
    boolean little = b[start] == 'I' && b[start + 1] == 'I';
    if (!little && !(b[start] == 'M' && b[start + 1] == 'M')) {
      return 1;
    }
    long ifd = start + (little ? le(b, start + 4, 4) : be(b, start + 4, 4)) & 0xffffffffL;
    if (ifd + 2 > end) {
      return 1;
    }
    int entries = little ? le(b, (int) ifd, 2) : be(b, (int) ifd, 2);
    for (int i = 0; i < entries; i++) {
      int e = (int) ifd + 2 + 12 * i;
      if (e + 12 > end) {
        return 1;
      }
      int tag = little ? le(b, e, 2) : be(b, e, 2);
      if (tag == 0x0112) {
        int value = little ? le(b, e + 8, 2) : be(b, e + 8, 2);
        return value >= 1 && value <= 8 ? value : 1;
      }
    }
    return 1;
  }

  private static int be(byte[] b, int i, int n) {
    int v = 0;
    for (int k = 0; k < n; k++) {
      v = v << 8 | (b[i + k] & 0xff);
    }
    return v;
  }

  private static int le(byte[] b, int i, int n) {
    int v = 0;
    for (int k = n - 1; k >= 0; k--) {
      v = v << 8 | (b[i + k] & 0xff);
    }
    return v;
  }

  /** Width and height after applying {@code orientation} to a {@code w x h} image. */
  static boolean swapsSides(int orientation) {
    return orientation >= 5;
  }

  /**
   * {@code image} turned upright: orientation 2 mirrors, 3 turns 180 degrees, 4 flips, 5 transposes,
   * 6 turns 90 degrees clockwise, 7 transverses, 8 turns 90 degrees counter-clockwise (EXIF 2.3,
   * tag 0x0112). Returns {@code image} itself for 1.
   */
  static BufferedImage apply(BufferedImage image, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return image;
    }
    int w = image.getWidth();
    int h = image.getHeight();
    int ow = swapsSides(orientation) ? h : w;
    int oh = swapsSides(orientation) ? w : h;
    WritableRaster src = image.getRaster();
    WritableRaster dst = src.createCompatibleWritableRaster(ow, oh);
    int bands = src.getNumBands();
    int[] row = new int[w * bands];
    int[] pixel = new int[bands];
    for (int y = 0; y < h; y++) {
      src.getPixels(0, y, w, 1, row);
      for (int x = 0; x < w; x++) {
        int dx;
        int dy;
        switch (orientation) {
          case 2 -> { dx = w - 1 - x; dy = y; }
          case 3 -> { dx = w - 1 - x; dy = h - 1 - y; }
          case 4 -> { dx = x; dy = h - 1 - y; }
          case 5 -> { dx = y; dy = x; }
          case 6 -> { dx = h - 1 - y; dy = x; }
          case 7 -> { dx = h - 1 - y; dy = w - 1 - x; }
          default -> { dx = y; dy = w - 1 - x; } // 8
        }
        System.arraycopy(row, x * bands, pixel, 0, bands);
        dst.setPixel(dx, dy, pixel);
      }
    }
    return new BufferedImage(image.getColorModel(), dst, image.isAlphaPremultiplied(), null);
  }
}
