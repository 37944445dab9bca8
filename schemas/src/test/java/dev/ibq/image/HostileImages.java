package dev.ibq.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Crafted image files for the hostile-input tests, written byte by byte where no writer produces them
 * (a lossless WebP, damaged or forged containers, many-scan JPEGs, EXIF orientation, CMYK/YCCK
 * without profile). Every method is deterministic.
 */
public final class HostileImages {
  private HostileImages() {}

  // ---------------------------------------------------------------- plain images

  /** A gray {@code w x h} image with a diagonal gradient and a bright top-left quadrant marker. */
  public static BufferedImage gradient(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int v = (x < w / 2 && y < h / 3) ? 250 : (x * 5 + y * 3) % 200;
        img.getRaster().setSample(x, y, 0, v);
      }
    }
    return img;
  }

  /** {@code image} encoded by the JDK writer of {@code format}. */
  public static byte[] encode(BufferedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("No writer for " + format + ".");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  // ---------------------------------------------------------------- WebP

  /** LSB-first bit writer (the VP8L bit order). */
  private static final class Bits {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private long acc;
    private int n;

    void put(long value, int bits) {
      acc |= (value & ((1L << bits) - 1)) << n;
      n += bits;
      while (n >= 8) {
        out.write((int) (acc & 0xff));
        acc >>>= 8;
        n -= 8;
      }
    }

    byte[] finish() {
      if (n > 0) {
        out.write((int) (acc & 0xff));
        acc = 0;
        n = 0;
      }
      return out.toByteArray();
    }
  }

  /**
   * A lossless (VP8L) WebP of a {@code w x h} gray picture with two levels: pixel (x, y) is {@code hi}
   * when {@code pattern.bit(x, y)}, else {@code lo} ({@code lo < hi}). Written with "simple" prefix
   * codes of one or two symbols per channel, no transforms and no color cache: one bit per channel
   * per pixel.
   */
  public static byte[] losslessWebp(int w, int h, int lo, int hi, java.util.function.BiPredicate<Integer, Integer> pattern) {
    Bits bits = new Bits();
    bits.put(0x2f, 8);
    bits.put(w - 1, 14);
    bits.put(h - 1, 14);
    bits.put(0, 1); // alpha not used
    bits.put(0, 3); // version
    bits.put(0, 1); // no transform
    bits.put(0, 1); // no color cache
    bits.put(0, 1); // one prefix code group
    twoSymbols(bits, lo, hi); // green
    twoSymbols(bits, lo, hi); // red
    twoSymbols(bits, lo, hi); // blue
    oneSymbol(bits, 255); // alpha
    oneSymbol(bits, 0); // distance
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int b = pattern.test(x, y) ? 1 : 0;
        bits.put(b, 1);
        bits.put(b, 1);
        bits.put(b, 1);
      }
    }
    return riff("VP8L", bits.finish());
  }

  private static void twoSymbols(Bits bits, int a, int b) {
    bits.put(1, 1); // simple code
    bits.put(1, 1); // two symbols
    bits.put(1, 1); // first symbol has 8 bits
    bits.put(a, 8);
    bits.put(b, 8);
  }

  private static void oneSymbol(Bits bits, int a) {
    bits.put(1, 1);
    bits.put(0, 1);
    bits.put(1, 1);
    bits.put(a, 8);
  }

  /** A RIFF/WEBP file holding one chunk. */
  public static byte[] riff(String chunk, byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int pad = data.length & 1;
    out.writeBytes("RIFF".getBytes(StandardCharsets.ISO_8859_1));
    le32(out, 4 + 8 + data.length + pad);
    out.writeBytes("WEBP".getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(chunk.getBytes(StandardCharsets.ISO_8859_1));
    le32(out, data.length);
    out.writeBytes(data);
    if (pad == 1) {
      out.write(0);
    }
    return out.toByteArray();
  }

  /** A lossless WebP whose header claims {@code w x h} but whose pixel data is a few bytes. */
  public static byte[] webpClaiming(int w, int h) {
    Bits bits = new Bits();
    bits.put(0x2f, 8);
    bits.put(w - 1, 14);
    bits.put(h - 1, 14);
    bits.put(1, 1); // alpha
    bits.put(0, 3);
    bits.put(0, 4);
    return riff("VP8L", bits.finish());
  }

  // ---------------------------------------------------------------- PNG

  private static void be32(ByteArrayOutputStream out, long v) {
    out.write((int) (v >>> 24) & 0xff);
    out.write((int) (v >>> 16) & 0xff);
    out.write((int) (v >>> 8) & 0xff);
    out.write((int) v & 0xff);
  }

  private static void le32(ByteArrayOutputStream out, long v) {
    out.write((int) v & 0xff);
    out.write((int) (v >>> 8) & 0xff);
    out.write((int) (v >>> 16) & 0xff);
    out.write((int) (v >>> 24) & 0xff);
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    be32(out, data.length);
    byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
    out.writeBytes(t);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    be32(out, crc.getValue());
  }

  /**
   * A PNG with valid chunks and CRCs whose header claims {@code w x h} at {@code bitDepth} bits per
   * sample and {@code colorType} (0 gray, 2 RGB, 6 RGBA), with {@code idatBytes} of deflated zeros.
   */
  public static byte[] pngClaiming(int w, int h, int bitDepth, int colorType, int rows) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
    be32(ihdr, w);
    be32(ihdr, h);
    ihdr.write(bitDepth);
    ihdr.write(colorType);
    ihdr.write(0);
    ihdr.write(0);
    ihdr.write(0);
    chunk(out, "IHDR", ihdr.toByteArray());
    int channels = colorType == 6 ? 4 : colorType == 2 ? 3 : 1;
    byte[] raw = new byte[(int) Math.min(Integer.MAX_VALUE / 2, (long) rows * (1 + (long) w * channels * bitDepth / 8))];
    Deflater deflater = new Deflater(9);
    deflater.setInput(raw);
    deflater.finish();
    byte[] buf = new byte[raw.length / 100 + 1024];
    int n = deflater.deflate(buf);
    deflater.end();
    chunk(out, "IDAT", Arrays.copyOf(buf, n));
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  /** {@code png} with one byte of its first IDAT chunk's data changed (its CRC left as it was). */
  public static byte[] pngWithBadCrc(byte[] png) {
    byte[] b = png.clone();
    int pos = 8;
    while (pos + 8 < b.length) {
      int length = (b[pos] & 0xff) << 24 | (b[pos + 1] & 0xff) << 16 | (b[pos + 2] & 0xff) << 8 | (b[pos + 3] & 0xff);
      String type = new String(b, pos + 4, 4, StandardCharsets.ISO_8859_1);
      if (type.equals("IDAT") && length > 4) {
        b[pos + 8 + length / 2] ^= 0x01;
        return b;
      }
      pos += 12 + length;
    }
    throw new IllegalArgumentException("The PNG has no IDAT chunk.");
  }

  // ---------------------------------------------------------------- GIF

  /** A GIF whose first (and only) frame has an LZW code size but no data sub-blocks. */
  public static byte[] gifWithEmptyFrame(int w, int h) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("GIF89a".getBytes(StandardCharsets.ISO_8859_1));
    out.write(w & 0xff);
    out.write(w >> 8);
    out.write(h & 0xff);
    out.write(h >> 8);
    out.write(0x80); // global color table of 2 entries
    out.write(0);
    out.write(0);
    out.writeBytes(new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
    out.write(0x2C);
    out.writeBytes(new byte[] {0, 0, 0, 0, (byte) (w & 0xff), (byte) (w >> 8), (byte) (h & 0xff), (byte) (h >> 8), 0});
    out.write(2); // LZW minimum code size
    out.write(0); // block terminator straight away: no image data
    out.write(0x3B);
    return out.toByteArray();
  }

  // ---------------------------------------------------------------- JPEG

  /** A progressive JPEG of {@code image} from the JDK writer. */
  public static byte[] progressiveJpeg(BufferedImage image) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      ImageWriteParam p = writer.getDefaultWriteParam();
      p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      writer.write(null, new IIOImage(image, null, null), p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /**
   * {@code jpeg} (progressive) with its largest scan repeated until it has {@code scans} scans: each copy
   * is a full pass over the coefficients, so decoding costs about {@code scans} times one scan.
   */
  public static byte[] withRepeatedScans(byte[] jpeg, int scans) {
    int[] largest = {-1, -1};
    int count = 0;
    int pos = 2;
    int eoi = -1;
    while (pos + 2 <= jpeg.length) {
      int marker = jpeg[pos + 1] & 0xff;
      if (marker == 0xD9) {
        eoi = pos;
        break;
      }
      int length = (jpeg[pos + 2] & 0xff) << 8 | (jpeg[pos + 3] & 0xff);
      int next = pos + 2 + length;
      if (marker == 0xDA) {
        count++;
        while (next + 1 < jpeg.length && !((jpeg[next] & 0xff) == 0xFF && (jpeg[next + 1] & 0xff) != 0
            && ((jpeg[next + 1] & 0xff) < 0xD0 || (jpeg[next + 1] & 0xff) > 0xD7))) {
          next++;
        }
        if (largest[0] < 0 || next - pos > largest[1] - largest[0]) {
          largest[0] = pos;
          largest[1] = next;
        }
      }
      pos = next;
    }
    if (eoi < 0 || largest[0] < 0) {
      throw new IllegalArgumentException("Not a progressive JPEG with an EOI marker.");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, eoi);
    for (int i = count; i < scans; i++) {
      out.write(jpeg, largest[0], largest[1] - largest[0]);
    }
    out.write(jpeg, eoi, jpeg.length - eoi);
    return out.toByteArray();
  }

  /** A baseline JPEG whose SOF claims {@code w x h} but that holds a single 8x8 block of data. */
  public static byte[] jpegClaiming(int w, int h) {
    byte[] small = encode(gradient(8, 8), "jpeg");
    byte[] b = small.clone();
    int pos = 2;
    while (pos + 9 < b.length) {
      int marker = b[pos + 1] & 0xff;
      int length = (b[pos + 2] & 0xff) << 8 | (b[pos + 3] & 0xff);
      if (marker == 0xC0 || marker == 0xC2) {
        b[pos + 5] = (byte) (h >> 8);
        b[pos + 6] = (byte) h;
        b[pos + 7] = (byte) (w >> 8);
        b[pos + 8] = (byte) w;
        return b;
      }
      pos += 2 + length;
    }
    throw new IllegalStateException("The JDK wrote a JPEG without SOF0.");
  }

  /** {@code jpeg} with an APP1 EXIF block (big-endian TIFF, IFD0 with one Orientation entry) after SOI. */
  public static byte[] withExifOrientation(byte[] jpeg, int orientation) {
    ByteArrayOutputStream tiff = new ByteArrayOutputStream();
    tiff.writeBytes(new byte[] {'M', 'M', 0, 42});
    be32(tiff, 8); // IFD0 offset
    tiff.write(0);
    tiff.write(1); // one entry
    tiff.writeBytes(new byte[] {0x01, 0x12, 0, 3}); // Orientation, SHORT
    be32(tiff, 1); // count
    tiff.writeBytes(new byte[] {0, (byte) orientation, 0, 0});
    be32(tiff, 0); // no next IFD
    byte[] t = tiff.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2);
    out.write(0xFF);
    out.write(0xE1);
    int length = 2 + 6 + t.length;
    out.write(length >> 8);
    out.write(length & 0xff);
    out.writeBytes("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(t);
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  /**
   * A 4-channel JPEG of {@code gray} with no ICC profile: {@code adobeTransform} 0 is Adobe CMYK
   * (inverted ink: 255 = none), 2 is YCCK (the CMY inks as YCbCr of their inverse, K as it is), and -1
   * drops the Adobe marker altogether (plain CMYK by the JPEG convention). The picture is black ink
   * only, so an upright conversion gives back {@code gray}'s picture.
   */
  public static byte[] fourChannelJpeg(BufferedImage gray, int adobeTransform) {
    int w = gray.getWidth();
    int h = gray.getHeight();
    WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int k = gray.getRaster().getSample(x, y, 0); // inverted ink: light = 255 = no ink
        if (adobeTransform == 2) {
          // no C, M, Y ink: inverted CMY = 255, 255, 255 = RGB white; its YCbCr is 255, 128, 128
          r.setSample(x, y, 0, 255);
          r.setSample(x, y, 1, 128);
          r.setSample(x, y, 2, 128);
        } else {
          r.setSample(x, y, 0, 255);
          r.setSample(x, y, 1, 255);
          r.setSample(x, y, 2, 255);
        }
        r.setSample(x, y, 3, k);
      }
    }
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new IIOImage(r, null, null), null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return setAdobeTransform(out.toByteArray(), adobeTransform);
  }

  /** Rewrites (or removes, for -1) the APP14 Adobe segment's transform; adds one if absent. */
  private static byte[] setAdobeTransform(byte[] jpeg, int transform) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2);
    if (transform >= 0) {
      out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0,
          (byte) transform});
    }
    int pos = 2;
    while (pos + 4 <= jpeg.length) {
      int marker = jpeg[pos + 1] & 0xff;
      if (marker == 0xDA) {
        break;
      }
      int length = (jpeg[pos + 2] & 0xff) << 8 | (jpeg[pos + 3] & 0xff);
      if (marker != 0xEE) {
        out.write(jpeg, pos, 2 + length); // drop the writer's own Adobe segment, keep the rest
      }
      pos += 2 + length;
    }
    out.write(jpeg, pos, jpeg.length - pos);
    return out.toByteArray();
  }

  /** {@code n} random bytes. */
  public static byte[] noise(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }
}
