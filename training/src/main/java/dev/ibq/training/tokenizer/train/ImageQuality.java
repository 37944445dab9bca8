package dev.ibq.training.tokenizer.train;

/**
 * Reconstruction quality of single-channel or planar multi-channel images with values in [0, 1], in
 * plain Java so that it can be checked by hand.
 *
 * <ul>
 *   <li>PSNR = 10 log10(1 / MSE) in dB (peak 1); identical images give {@link #PSNR_CAP} instead of
 *       infinity so that means over a data set stay finite.
 *   <li>SSIM (Wang et al. 2004): Gaussian window 11x11, sigma 1.5, normalised to sum 1; C1 = (0.01)^2,
 *       C2 = (0.03)^2 (dynamic range 1); the local statistics are computed only where the whole
 *       window fits ("valid" filtering, as in the authors' reference ssim.m), and the mean of the SSIM
 *       map is returned, averaged over channels. Images must be at least 11x11.
 * </ul>
 */
public final class ImageQuality {

  /** The PSNR reported for identical images. */
  public static final double PSNR_CAP = 100.0;

  static final int WINDOW = 11;
  static final double SIGMA = 1.5;
  static final double C1 = 0.01 * 0.01;
  static final double C2 = 0.03 * 0.03;
  private static final double[] KERNEL = gaussianKernel();

  private ImageQuality() {}

  /**
   * {@code size} values from {@code offset} mapped from the model's [-1, 1] to [0, 1] and clipped there, the range
   * the quality measures and the figures take.
   */
  public static float[] toUnitRange(float[] values, int offset, int size) {
    float[] out = new float[size];
    for (int i = 0; i < size; i++) {
      out[i] = Math.max(0f, Math.min(1f, (values[offset + i] + 1f) * 0.5f));
    }
    return out;
  }

  /** PSNR in dB of two arrays of the same length (values in [0, 1]). */
  public static double psnr(float[] a, float[] b) {
    sameLength(a, b);
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      double d = a[i] - b[i];
      sum += d * d;
    }
    double mse = sum / a.length;
    return mse == 0 ? PSNR_CAP : Math.min(PSNR_CAP, 10 * Math.log10(1.0 / mse));
  }

  /**
   * Mean SSIM of two planar images {@code (channels, height, width)} with values in [0, 1].
   */
  public static double ssim(float[] a, float[] b, int channels, int height, int width) {
    sameLength(a, b);
    if (a.length != channels * height * width) {
      throw new IllegalArgumentException(
          "The images have " + a.length + " values; expected " + channels + "x" + height + "x" + width + ".");
    }
    if (height < WINDOW || width < WINDOW) {
      throw new IllegalArgumentException(
          "SSIM needs images of at least " + WINDOW + "x" + WINDOW + " pixels; got " + height + "x" + width + ".");
    }
    double total = 0;
    for (int c = 0; c < channels; c++) {
      total += ssimPlane(a, b, c * height * width, height, width);
    }
    return total / channels;
  }

  private static double ssimPlane(float[] a, float[] b, int offset, int height, int width) {
    int outH = height - WINDOW + 1;
    int outW = width - WINDOW + 1;
    double sum = 0;
    for (int y = 0; y < outH; y++) {
      for (int x = 0; x < outW; x++) {
        double muA = 0;
        double muB = 0;
        double aa = 0;
        double bb = 0;
        double ab = 0;
        for (int dy = 0; dy < WINDOW; dy++) {
          int row = offset + (y + dy) * width + x;
          for (int dx = 0; dx < WINDOW; dx++) {
            double w = KERNEL[dy * WINDOW + dx];
            double va = a[row + dx];
            double vb = b[row + dx];
            muA += w * va;
            muB += w * vb;
            aa += w * va * va;
            bb += w * vb * vb;
            ab += w * va * vb;
          }
        }
        double varA = aa - muA * muA;
        double varB = bb - muB * muB;
        double cov = ab - muA * muB;
        sum += ((2 * muA * muB + C1) * (2 * cov + C2)) / ((muA * muA + muB * muB + C1) * (varA + varB + C2));
      }
    }
    return sum / (outH * outW);
  }

  /** The 11x11 Gaussian window (sigma 1.5), row-major, summing to 1. */
  static double[] gaussianKernel() {
    double[] k = new double[WINDOW * WINDOW];
    int r = WINDOW / 2;
    double total = 0;
    for (int y = -r; y <= r; y++) {
      for (int x = -r; x <= r; x++) {
        double v = Math.exp(-(x * x + y * y) / (2 * SIGMA * SIGMA));
        k[(y + r) * WINDOW + (x + r)] = v;
        total += v;
      }
    }
    for (int i = 0; i < k.length; i++) {
      k[i] /= total;
    }
    return k;
  }

  /**
   * The central {@code cropH x cropW} region of a planar image (e.g. the 28x28 Fashion-MNIST picture
   * inside its 32x32 padded tensor).
   */
  public static float[] cropCentre(float[] chw, int channels, int height, int width, int cropH, int cropW) {
    int top = (height - cropH) / 2;
    int left = (width - cropW) / 2;
    float[] out = new float[channels * cropH * cropW];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < cropH; y++) {
        System.arraycopy(chw, c * height * width + (top + y) * width + left, out, (c * cropH + y) * cropW, cropW);
      }
    }
    return out;
  }

  private static void sameLength(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("The two images have " + a.length + " and " + b.length + " values; they must match.");
    }
  }
}
