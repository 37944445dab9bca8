package dev.ibq.training.autoregressive.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FrechetDistanceTest {

  @Test
  void oneDimensionalGaussiansGiveMeanGapSquaredPlusStdGapSquared() {
    // d^2 = (m1 - m2)^2 + s1^2 + s2^2 - 2 s1 s2 = (m1 - m2)^2 + (s1 - s2)^2
    FrechetDistance.Gaussian p = new FrechetDistance.Gaussian(new double[] {1}, new double[][] {{4}});
    FrechetDistance.Gaussian q = new FrechetDistance.Gaussian(new double[] {3}, new double[][] {{9}});
    assertThat(FrechetDistance.between(p, q)).isCloseTo(4 + 1, within(1e-9));
  }

  @Test
  void rotatedCovariancesMatchTheClosedFormOfCommutingMatrices() {
    // S1 = R diag(1, 4) R^T and S2 = R diag(9, 16) R^T commute: Tr(sqrt(S1 S2)) = 1*3 + 2*4 = 11
    double c = Math.cos(0.7);
    double s = Math.sin(0.7);
    double[][] r = {{c, -s}, {s, c}};
    double[][] s1 = rotate(r, 1, 4);
    double[][] s2 = rotate(r, 9, 16);
    FrechetDistance.Gaussian p = new FrechetDistance.Gaussian(new double[] {0, 0}, s1);
    FrechetDistance.Gaussian q = new FrechetDistance.Gaussian(new double[] {1, 2}, s2);
    // ||mu||^2 = 5; traces 5 + 25; minus 2 * 11
    assertThat(FrechetDistance.between(p, q)).isCloseTo(5 + 30 - 22, within(1e-9));
  }

  @Test
  void psdSquareRootSquaresBackToTheMatrix() {
    Random random = new Random(5);
    int n = 12;
    double[][] b = new double[n][n];
    for (double[] row : b) {
      for (int j = 0; j < n; j++) {
        row[j] = random.nextGaussian();
      }
    }
    double[][] a = FrechetDistance.multiply(b, transpose(b)); // symmetric PSD
    double[][] root = FrechetDistance.sqrtPsd(a);
    double[][] square = FrechetDistance.multiply(root, root);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        assertThat(square[i][j]).isCloseTo(a[i][j], within(1e-8));
      }
    }
  }

  @Test
  void identicalFeatureSetsAreAtDistanceZeroAndShiftedOnesAreNot() {
    Random random = new Random(9);
    float[][] x = new float[500][6];
    float[][] y = new float[500][6];
    for (int i = 0; i < 500; i++) {
      for (int j = 0; j < 6; j++) {
        x[i][j] = (float) random.nextGaussian();
        y[i][j] = x[i][j] + 0.5f;
      }
    }
    assertThat(FrechetDistance.between(x, x)).isCloseTo(0, within(1e-6));
    assertThat(FrechetDistance.between(x, y)).isCloseTo(6 * 0.25, within(1e-4)); // covariance unchanged
  }

  /**
   * Values the previous implementation (cyclic Jacobi in plain Java, commit 9f6b19c) gave on these fixtures: a full-rank
   * case (300 correlated 64-d features per set) and a rank-deficient one (40 vectors in 64-d, as with few samples).
   */
  @Test
  void agreesWithThePreviousJacobiImplementationOnFullAndRankDeficientFixtures() {
    assertThat(FrechetDistance.between(features(300, 64, 11, 0.0), features(300, 64, 12, 0.1)))
        .isCloseTo(FULL_RANK_JACOBI, within(1e-6 * FULL_RANK_JACOBI));
    assertThat(FrechetDistance.between(features(40, 64, 13, 0.0), features(40, 64, 14, 0.3)))
        .isCloseTo(RANK_DEFICIENT_JACOBI, within(1e-6 * RANK_DEFICIENT_JACOBI));
  }

  static final double FULL_RANK_JACOBI = 211.77955628282007;
  static final double RANK_DEFICIENT_JACOBI = 369.36901747341470;

  /** n rows of z M + shift, z standard normal, M a random d x d mixing matrix (both from seed). */
  private static float[][] features(int n, int d, long seed, double shift) {
    Random random = new Random(seed);
    double[][] mix = new double[d][d];
    for (double[] row : mix) {
      for (int j = 0; j < d; j++) {
        row[j] = 0.3 * random.nextGaussian();
      }
    }
    float[][] out = new float[n][d];
    double[] z = new double[d];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < d; k++) {
        z[k] = random.nextGaussian();
      }
      for (int j = 0; j < d; j++) {
        double v = shift;
        for (int k = 0; k < d; k++) {
          v += z[k] * mix[k][j];
        }
        out[i][j] = (float) v;
      }
    }
    return out;
  }

  private static double[][] rotate(double[][] r, double l1, double l2) {
    double[][] d = {{l1, 0}, {0, l2}};
    return FrechetDistance.multiply(FrechetDistance.multiply(r, d), transpose(r));
  }

  private static double[][] transpose(double[][] m) {
    double[][] t = new double[m[0].length][m.length];
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m[0].length; j++) {
        t[j][i] = m[i][j];
      }
    }
    return t;
  }
}
