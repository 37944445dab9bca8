package dev.ibq.image;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.util.Objects;

/**
 * The one image-to-tensor implementation: training, export checks and the stream job all call it,
 * so equal {@link PreprocessingSpec}s give bit-identical tensors everywhere. Immutable and
 * thread-safe.
 *
 * <p>Shape legend: {@code C} channels (1 or 3), {@code H x W} target size, output layout CHW
 * ({@code (C, H, W)} row-major). Steps:
 *
 * <ol>
 *   <li>Read the decoded image to float samples on the 8-bit scale and convert it to C channels
 *       (see {@link PixelReader}: raw gray/RGB samples, palette lookup, alpha composited over the
 *       pad value, BT.601 luma). 16-bit samples are kept as floats {@code v * 255 / 65535}, not
 *       rounded to 8 bits.
 *   <li>Match the size by the {@link ResizePolicy} with the spec's {@link Interpolation}
 *       (see {@link Resampler}); crops and pads are centered.
 *   <li>Normalize: {@code x / 127.5f - 1f}, so 0 maps to -1 and 255 to 1.
 * </ol>
 *
 * <p>Raw gray rasters (Fashion-MNIST) are wrapped as {@link BufferedImage#TYPE_BYTE_GRAY} images
 * and take exactly this path, so an IDX image and a lossless encoding of it give equal tensors.
 */
public final class Preprocessor {

  private final PreprocessingSpec spec;
  private final float padSample;

  public Preprocessor(PreprocessingSpec spec) {
    this.spec = Objects.requireNonNull(spec, "preprocessing spec");
    this.padSample = spec.padValue();
  }

  public PreprocessingSpec spec() {
    return spec;
  }

  /** Returns a new {@code (C, H, W)} tensor of {@code image} with values in [-1, 1]. */
  public float[] apply(BufferedImage image) {
    float[] dst = new float[spec.tensorSize()];
    applyInto(image, dst, 0);
    return dst;
  }

  /**
   * Writes the {@code (C, H, W)} tensor of {@code image} into {@code dst[offset .. offset + C*H*W)},
   * e.g. one slot of a {@code (B, C, H, W)} batch.
   */
  public void applyInto(BufferedImage image, float[] dst, int offset) {
    Objects.requireNonNull(image, "image");
    int size = spec.tensorSize();
    if (offset < 0 || offset > dst.length - size) {
      throw new IllegalArgumentException("Destination has " + dst.length + " floats; writing " + size
          + " floats at offset " + offset + " would not fit.");
    }
    int c = spec.channels();
    int h = image.getHeight();
    int w = image.getWidth();
    float[] samples = PixelReader.read(image, c, padSample); // (C, h, w) in [0, 255]

    int rh;
    int rw;
    switch (spec.resize()) {
      case PAD_CENTER -> {
        rh = h;
        rw = w;
      }
      case STRETCH -> {
        rh = spec.height();
        rw = spec.width();
      }
      case RESIZE_SHORTER_CENTER_CROP -> {
        double scale = Math.max((double) spec.height() / h, (double) spec.width() / w);
        rh = Math.max(spec.height(), (int) Math.round(h * scale));
        rw = Math.max(spec.width(), (int) Math.round(w * scale));
      }
      case RESIZE_FIT_PAD -> {
        double scale = Math.min((double) spec.height() / h, (double) spec.width() / w);
        rh = Math.min(spec.height(), Math.max(1, (int) Math.round(h * scale)));
        rw = Math.min(spec.width(), Math.max(1, (int) Math.round(w * scale)));
      }
      default -> throw new IllegalStateException("Unhandled resize policy " + spec.resize() + ".");
    }
    if (rh != h || rw != w) {
      samples = Resampler.resize(samples, c, h, w, rh, rw, spec.interpolation()); // (C, rh, rw)
    }
    place(samples, rh, rw, dst, offset);
  }

  /** Centers the {@code (C, rh, rw)} samples on the {@code (C, H, W)} canvas (cropping or padding each axis) and normalizes. */
  private void place(float[] samples, int rh, int rw, float[] dst, int offset) {
    int c = spec.channels();
    int outH = spec.height();
    int outW = spec.width();
    int cropTop = Math.max(0, (rh - outH) / 2);
    int cropLeft = Math.max(0, (rw - outW) / 2);
    int padTop = Math.max(0, (outH - rh) / 2);
    int padLeft = Math.max(0, (outW - rw) / 2);
    float pad = normalize(padSample);
    for (int ch = 0; ch < c; ch++) {
      int plane = offset + ch * outH * outW;
      for (int y = 0; y < outH; y++) {
        int sy = y - padTop + cropTop;
        boolean rowInside = sy >= 0 && sy < rh;
        for (int x = 0; x < outW; x++) {
          int sx = x - padLeft + cropLeft;
          dst[plane + y * outW + x] = rowInside && sx >= 0 && sx < rw
              ? normalize(samples[(ch * rh + sy) * rw + sx])
              : pad;
        }
      }
    }
  }

  private static float normalize(float sample) {
    return sample / 127.5f - 1f;
  }

  /**
   * Decodes {@code encoded} within {@code limits} (see {@link ImageDecoder}) and returns its tensor.
   *
   * @throws ImageRejectedException when the bytes are empty, too large, of a refused format or corrupt
   */
  public float[] decodeAndApply(byte[] encoded, DecodeLimits limits) throws ImageRejectedException {
    return apply(ImageDecoder.decode(encoded, limits).image());
  }

  /**
   * The inverse mapping for pictures: the {@code (C, H, W)} tensor at {@code chw[offset]} as an
   * 8-bit image ({@code round((x + 1) * 127.5)}, clamped to [0, 255]); gray for C = 1, RGB for C = 3.
   * Padding is not removed.
   */
  public BufferedImage toImage(float[] chw, int offset) {
    int c = spec.channels();
    int h = spec.height();
    int w = spec.width();
    if (offset < 0 || offset > chw.length - spec.tensorSize()) {
      throw new IllegalArgumentException("Tensor has " + chw.length + " floats; reading " + spec.tensorSize()
          + " floats at offset " + offset + " would not fit.");
    }
    BufferedImage image = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    WritableRaster raster = image.getRaster();
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = offset + y * w + x;
        if (c == 1) {
          row[x] = toByte(chw[i]);
        } else {
          row[x] = toByte(chw[i]) << 16 | toByte(chw[i + h * w]) << 8 | toByte(chw[i + 2 * h * w]);
        }
      }
      if (c == 1) {
        raster.setSamples(0, y, w, 1, 0, row);
      } else {
        image.setRGB(0, y, w, 1, row, 0, w);
      }
    }
    return image;
  }

  private static int toByte(float x) {
    return Math.min(255, Math.max(0, Math.round((x + 1f) * 127.5f)));
  }
}
