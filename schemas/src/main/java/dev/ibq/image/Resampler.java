package dev.ibq.image;

/**
 * Separable resampling of planar float images. Shape legend: {@code (C, h, w)} in,
 * {@code (C, outH, outW)} out, row-major.
 *
 * <p>Each axis gets a table of (source index, weight) taps computed once in double precision and
 * stored as floats; the image pass then accumulates {@code weight * sample} in float, taps in
 * ascending order, rows first, then columns. An axis whose size does not change is copied, not
 * resampled, so it stays exact. Results are clamped to [0, 255].
 */
final class Resampler {

  private Resampler() {}

  /** Taps for one axis: output {@code i} reads {@code index[i*stride + k]} with {@code weight[...]} for {@code k < count[i]}. */
  record Taps(int stride, int[] count, int[] index, float[] weight) {}

  static float[] resize(float[] src, int channels, int h, int w, int outH, int outW, Interpolation method) {
    float[] rows = w == outW ? src : resizeRows(src, channels * h, w, outW, taps(w, outW, method)); // (C, h, outW)
    float[] out = h == outH ? rows : resizeColumns(rows, channels, h, outW, outH, taps(h, outH, method)); // (C, outH, outW)
    if (out == src) {
      return src.clone();
    }
    if (method == Interpolation.BICUBIC) {
      for (int i = 0; i < out.length; i++) {
        out[i] = Math.min(Math.max(out[i], 0f), 255f);
      }
    }
    return out;
  }

  private static float[] resizeRows(float[] src, int lines, int w, int outW, Taps t) {
    float[] out = new float[lines * outW];
    for (int line = 0; line < lines; line++) {
      int in = line * w;
      int o = line * outW;
      for (int x = 0; x < outW; x++) {
        float sum = 0f;
        int base = x * t.stride();
        for (int k = 0; k < t.count()[x]; k++) {
          sum += t.weight()[base + k] * src[in + t.index()[base + k]];
        }
        out[o + x] = sum;
      }
    }
    return out;
  }

  private static float[] resizeColumns(float[] src, int channels, int h, int w, int outH, Taps t) {
    float[] out = new float[channels * outH * w];
    for (int c = 0; c < channels; c++) {
      int plane = c * h * w;
      int outPlane = c * outH * w;
      for (int y = 0; y < outH; y++) {
        int base = y * t.stride();
        int o = outPlane + y * w;
        for (int x = 0; x < w; x++) {
          float sum = 0f;
          for (int k = 0; k < t.count()[y]; k++) {
            sum += t.weight()[base + k] * src[plane + t.index()[base + k] * w + x];
          }
          out[o + x] = sum;
        }
      }
    }
    return out;
  }

  /** The tap table that scales an axis of {@code in} samples to {@code out} samples. */
  static Taps taps(int in, int out, Interpolation method) {
    return switch (method) {
      case BILINEAR -> bilinear(in, out);
      case BICUBIC -> bicubic(in, out);
      case AREA -> area(in, out);
    };
  }

  private static Taps bilinear(int in, int out) {
    double scale = (double) in / out;
    int[] count = new int[out];
    int[] index = new int[out * 2];
    float[] weight = new float[out * 2];
    for (int i = 0; i < out; i++) {
      double src = Math.max(0.0, (i + 0.5) * scale - 0.5); // as PyTorch: negative positions clamp to 0
      int x0 = Math.min((int) Math.floor(src), in - 1);
      int x1 = Math.min(x0 + 1, in - 1);
      double frac = src - x0;
      count[i] = 2;
      index[2 * i] = x0;
      index[2 * i + 1] = x1;
      weight[2 * i] = (float) (1.0 - frac);
      weight[2 * i + 1] = (float) frac;
    }
    return new Taps(2, count, index, weight);
  }

  private static final double CUBIC_A = -0.75;

  private static Taps bicubic(int in, int out) {
    double scale = (double) in / out;
    int[] count = new int[out];
    int[] index = new int[out * 4];
    float[] weight = new float[out * 4];
    for (int i = 0; i < out; i++) {
      double src = (i + 0.5) * scale - 0.5;
      int x0 = (int) Math.floor(src);
      double t = src - x0;
      double[] wk = {cubicFar(t + 1), cubicNear(t), cubicNear(1 - t), cubicFar(2 - t)};
      count[i] = 4;
      for (int k = 0; k < 4; k++) {
        index[4 * i + k] = Math.min(Math.max(x0 - 1 + k, 0), in - 1);
        weight[4 * i + k] = (float) wk[k];
      }
    }
    return new Taps(4, count, index, weight);
  }

  /** Keys kernel for |x| <= 1. */
  private static double cubicNear(double x) {
    return ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1;
  }

  /** Keys kernel for 1 < |x| < 2. */
  private static double cubicFar(double x) {
    return ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A;
  }

  private static Taps area(int in, int out) {
    double scale = (double) in / out;
    int stride = (int) Math.ceil(scale) + 1;
    int[] count = new int[out];
    int[] index = new int[out * stride];
    float[] weight = new float[out * stride];
    for (int i = 0; i < out; i++) {
      double start = i * scale;
      double end = Math.min((i + 1) * scale, in);
      int first = (int) Math.floor(start);
      int k = 0;
      for (int j = first; j < end && j < in; j++) {
        double overlap = Math.min(end, j + 1) - Math.max(start, j);
        if (overlap <= 0) {
          continue;
        }
        index[i * stride + k] = j;
        weight[i * stride + k] = (float) (overlap / scale);
        k++;
      }
      count[i] = k;
    }
    return new Taps(stride, count, index, weight);
  }
}
