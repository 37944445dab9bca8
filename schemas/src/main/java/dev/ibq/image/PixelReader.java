package dev.ibq.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Reads any {@link BufferedImage} into planar float samples on the 8-bit scale, converted to the
 * model's channel count. Output shape legend: {@code (C, h, w)} with C = 1 or 3, row-major, values
 * in [0, 255] (not rounded: a 16-bit sample v becomes {@code v * 255 / 65535}).
 *
 * <p>Rules, in the order they apply:
 *
 * <ol>
 *   <li>Gray and RGB images are read from their raw samples; an embedded ICC profile is ignored
 *       (as PIL does). NOTE: this deliberately avoids {@link BufferedImage#getRGB}, which treats
 *       Java's gray color space as linear and would change every gray value.
 *   <li>Palette images are looked up in their palette (including palette transparency).
 *   <li>Every other color space (CMYK, YCCK, Lab ...) is converted to sRGB by the color model.
 *   <li>Transparency is composited over the background value: {@code c * a + bg * (1 - a)}, with
 *       {@code a} in [0, 1]; premultiplied sources use {@code c + bg * (1 - a)}. NOTE: the background
 *       is the spec's pad value (black for the presets), so transparent areas look like padding.
 *   <li>RGB to gray uses ITU-R BT.601 luma with integer weights, {@code (299 R + 587 G + 114 B) / 1000},
 *       so an RGB image whose three channels are equal gives exactly the gray values.
 * </ol>
 */
final class PixelReader {

  private PixelReader() {}

  /** Returns {@code (channels, h, w)} samples of {@code image} in [0, 255]. */
  static float[] read(BufferedImage image, int channels, float background) {
    int w = image.getWidth();
    int h = image.getHeight();
    Samples samples = toRgbOrGray(image);
    float[] rgba = samples.planes(); // (bands, h, w): 1 gray, 2 gray+alpha, 3 rgb, 4 rgba
    int bands = rgba.length / (w * h);
    int n = w * h;
    boolean alpha = bands == 2 || bands == 4;
    int colors = alpha ? bands - 1 : bands;
    if (alpha) {
      boolean premultiplied = samples.premultiplied();
      for (int i = 0; i < n; i++) {
        float a = rgba[colors * n + i];
        float under = background * (1f - a);
        for (int c = 0; c < colors; c++) {
          float v = rgba[c * n + i];
          rgba[c * n + i] = premultiplied ? v + under : v * a + under;
        }
      }
    }
    if (!alpha && colors == channels) {
      return rgba;
    }
    float[] out = new float[channels * n]; // (C, h, w)
    if (colors == channels) {
      System.arraycopy(rgba, 0, out, 0, channels * n);
    } else if (colors == 1) { // gray -> RGB
      for (int c = 0; c < 3; c++) {
        System.arraycopy(rgba, 0, out, c * n, n);
      }
    } else { // RGB -> gray, BT.601
      for (int i = 0; i < n; i++) {
        out[i] = (299f * rgba[i] + 587f * rgba[n + i] + 114f * rgba[2 * n + i]) / 1000f;
      }
    }
    return out;
  }

  /** Color samples then (optionally) alpha, planar; colors in [0, 255], alpha in [0, 1]. */
  private record Samples(float[] planes, boolean premultiplied) {}

  private static Samples toRgbOrGray(BufferedImage image) {
    ColorModel cm = image.getColorModel();
    if (cm instanceof IndexColorModel icm) {
      return new Samples(readIndexed(image, icm), false);
    }
    int csType = cm.getColorSpace().getType();
    int colors = cm.getNumColorComponents();
    boolean rawReadable = (csType == ColorSpace.TYPE_GRAY && colors == 1) || (csType == ColorSpace.TYPE_RGB && colors == 3);
    if (rawReadable && image.getRaster().getNumBands() == cm.getNumComponents()) {
      return new Samples(readComponents(image, cm), cm.hasAlpha() && cm.isAlphaPremultiplied());
    }
    return new Samples(readViaSrgb(image, cm.hasAlpha()), false);
  }

  private static float[] readComponents(BufferedImage image, ColorModel cm) {
    Raster raster = image.getRaster();
    int w = image.getWidth();
    int h = image.getHeight();
    int n = w * h;
    int bands = cm.getNumComponents();
    boolean floating = raster.getTransferType() == DataBuffer.TYPE_FLOAT || raster.getTransferType() == DataBuffer.TYPE_DOUBLE;
    float[] out = new float[bands * n];
    float[] row = new float[w];
    for (int b = 0; b < bands; b++) {
      boolean isAlpha = cm.hasAlpha() && b == bands - 1;
      float max = floating ? 1f : (float) ((1L << cm.getComponentSize(b)) - 1);
      // 8-bit color: v * 255 / 255 == v exactly; 16-bit: v * 255 is exact in float, one rounding in the division.
      float scale = isAlpha ? 1f : 255f;
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, b, row);
        int base = b * n + y * w;
        for (int x = 0; x < w; x++) {
          float v = Math.min(Math.max(row[x], 0f), max);
          out[base + x] = v * scale / max;
        }
      }
    }
    return out;
  }

  private static float[] readIndexed(BufferedImage image, IndexColorModel icm) {
    int size = icm.getMapSize();
    int[] argb = new int[size];
    icm.getRGBs(argb);
    boolean alpha = icm.hasAlpha();
    int w = image.getWidth();
    int h = image.getHeight();
    int n = w * h;
    int bands = alpha ? 4 : 3;
    float[] out = new float[bands * n];
    int[] row = new int[w];
    Raster raster = image.getRaster();
    for (int y = 0; y < h; y++) {
      raster.getSamples(0, y, w, 1, 0, row);
      for (int x = 0; x < w; x++) {
        int index = row[x];
        int c = index >= 0 && index < size ? argb[index] : 0xff000000;
        putArgb(out, n, y * w + x, c, alpha);
      }
    }
    return out;
  }

  private static float[] readViaSrgb(BufferedImage image, boolean alpha) {
    int w = image.getWidth();
    int h = image.getHeight();
    int n = w * h;
    float[] out = new float[(alpha ? 4 : 3) * n];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        putArgb(out, n, y * w + x, row[x], alpha);
      }
    }
    return out;
  }

  private static void putArgb(float[] out, int n, int i, int argb, boolean alpha) {
    out[i] = (argb >>> 16) & 0xff;
    out[n + i] = (argb >>> 8) & 0xff;
    out[2 * n + i] = argb & 0xff;
    if (alpha) {
      int a = argb >>> 24;
      out[3 * n + i] = a == 255 ? 1f : a / 255f;
    }
  }
}
