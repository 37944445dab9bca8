package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImageQualityTest {

  @Test
  void psnrOfAKnownErrorAndOfIdenticalImages() {
    float[] a = {0f, 0.5f, 1f, 0.25f};
    float[] b = {0.1f, 0.5f, 0.9f, 0.25f};
    // MSE = (0.01 + 0 + 0.01 + 0) / 4 = 0.005; PSNR = 10 log10(1 / 0.005) = 23.0103 dB
    assertThat(ImageQuality.psnr(a, b)).isCloseTo(23.0103, within(1e-3));
    assertThat(ImageQuality.psnr(a, a)).isEqualTo(ImageQuality.PSNR_CAP);
  }

  @Test
  void ssimOfAnImageWithItselfIsOne() {
    float[] x = new float[2 * 16 * 16];
    Random random = new Random(1);
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextFloat();
    }
    assertThat(ImageQuality.ssim(x, x.clone(), 2, 16, 16)).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void ssimOfTwoConstantImagesIsTheLuminanceTermByHand() {
    // Constant images have zero variance and covariance, so SSIM = (2ab + C1) / (a^2 + b^2 + C1) * (C2 / C2).
    float[] a = new float[11 * 11];
    float[] b = new float[11 * 11];
    Arrays.fill(a, 0.2f);
    Arrays.fill(b, 0.6f);
    double av = 0.2f;
    double bv = 0.6f;
    double expected = (2 * av * bv + 1e-4) / (av * av + bv * bv + 1e-4);
    assertThat(ImageQuality.ssim(a, b, 1, 11, 11)).isCloseTo(expected, within(1e-6));
    assertThat(expected).isCloseTo(0.6002, within(1e-3));
  }

  @Test
  void ssimOfANegatedPatternIsNegative() {
    // x and 1 - x: equal means 0.5 and variances, covariance -var: SSIM = 1 * (C2 - 2 var) / (2 var + C2).
    float[] x = new float[11 * 11];
    float[] y = new float[11 * 11];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 2 == 0) ? 1f : 0f;
      y[i] = 1f - x[i];
    }
    double s = ImageQuality.ssim(x, y, 1, 11, 11);
    double[] k = ImageQuality.gaussianKernel();
    double mean = 0;
    for (int i = 0; i < k.length; i++) {
      mean += k[i] * x[i];
    }
    double var = mean - mean * mean; // x in {0,1}: E[x^2] = E[x]
    double expected = ((2 * mean * (1 - mean) + 1e-4) / (mean * mean + (1 - mean) * (1 - mean) + 1e-4))
        * ((-2 * var + 9e-4) / (2 * var + 9e-4));
    assertThat(s).isCloseTo(expected, within(1e-9)).isLessThan(-0.9);
  }

  @Test
  void gaussianKernelSumsToOneAndPeaksInTheCentre() {
    double[] k = ImageQuality.gaussianKernel();
    assertThat(Arrays.stream(k).sum()).isCloseTo(1.0, within(1e-12));
    assertThat(k[5 * 11 + 5]).isEqualTo(Arrays.stream(k).max().getAsDouble());
    assertThat(k[5 * 11 + 6] / k[5 * 11 + 5]).isCloseTo(Math.exp(-1 / (2 * 1.5 * 1.5)), within(1e-12));
  }

  @Test
  void cropTakesTheCentre() {
    float[] x = new float[4 * 4];
    for (int i = 0; i < x.length; i++) {
      x[i] = i;
    }
    assertThat(ImageQuality.cropCentre(x, 1, 4, 4, 2, 2)).containsExactly(5f, 6f, 9f, 10f);
  }

  @Test
  void modelRangeMapsToTheUnitRangeClipped() {
    float[] values = {9f, -1f, 0f, 1f, 1.5f, -2f};
    org.assertj.core.api.Assertions.assertThat(ImageQuality.toUnitRange(values, 1, 5)).containsExactly(0f, 0.5f, 1f, 1f, 0f);
  }
}
