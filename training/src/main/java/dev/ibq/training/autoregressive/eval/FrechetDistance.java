package dev.ibq.training.autoregressive.eval;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * Fréchet distance between two Gaussians fitted to feature sets (the FID formula of Heusel et al. 2017):
 *
 * <pre>
 *   d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)
 * </pre>
 *
 * The matrix square roots are taken by eigen-decomposition of symmetric positive semi-definite matrices (Commons
 * Math's {@link EigenDecomposition}: Householder tridiagonalisation and QL): first A = S1^1/2 = V diag(sqrt(max(l, 0)))
 * V^T, then the trace of the square root of the symmetric PSD matrix A S2 A is the sum of the square roots of its
 * eigenvalues. This equals the usual Tr((S1 S2)^1/2) without a non-symmetric matrix square root.
 *
 * <p>NOTE: eigenvalues are clamped at 0 rather than using {@code EigenDecomposition.getSquareRoot()}, which refuses
 * any eigenvalue <= 0: covariances of fewer samples than features are singular, and rounding makes some of their
 * eigenvalues slightly negative.
 *
 * <p>Over a project classifier's features this is a "domain FID": it is NOT comparable with ImageNet FID (which
 * uses Inception-v3 features of 299x299 RGB images).
 */
public final class FrechetDistance {

  private FrechetDistance() {}

  /** Mean and covariance (divided by n - 1) of rows x (n, d). */
  public record Gaussian(double[] mean, double[][] covariance) {
    public static Gaussian fit(float[][] x) {
      int n = x.length;
      if (n < 2) {
        throw new IllegalArgumentException("A covariance needs at least 2 feature vectors, got " + n + ".");
      }
      int d = x[0].length;
      double[] mean = new double[d];
      for (float[] row : x) {
        for (int j = 0; j < d; j++) {
          mean[j] += row[j];
        }
      }
      for (int j = 0; j < d; j++) {
        mean[j] /= n;
      }
      double[][] cov = new double[d][d];
      double[] centred = new double[d];
      for (float[] row : x) {
        for (int j = 0; j < d; j++) {
          centred[j] = row[j] - mean[j];
        }
        for (int a = 0; a < d; a++) {
          double ca = centred[a];
          if (ca == 0) {
            continue;
          }
          for (int b = a; b < d; b++) {
            cov[a][b] += ca * centred[b];
          }
        }
      }
      for (int a = 0; a < d; a++) {
        for (int b = a; b < d; b++) {
          cov[a][b] /= n - 1;
          cov[b][a] = cov[a][b];
        }
      }
      return new Gaussian(mean, cov);
    }
  }

  /** Fréchet distance between the Gaussians fitted to two feature sets (n1, d) and (n2, d). */
  public static double between(float[][] x, float[][] y) {
    return between(Gaussian.fit(x), Gaussian.fit(y));
  }

  public static double between(Gaussian p, Gaussian q) {
    int d = p.mean().length;
    if (q.mean().length != d) {
      throw new IllegalArgumentException("Feature sizes differ: " + d + " and " + q.mean().length + ".");
    }
    double meanTerm = 0;
    for (int i = 0; i < d; i++) {
      double diff = p.mean()[i] - q.mean()[i];
      meanTerm += diff * diff;
    }
    RealMatrix sqrtP = sqrtPsd(new Array2DRowRealMatrix(p.covariance(), false));
    RealMatrix middle = sqrtP.multiply(new Array2DRowRealMatrix(q.covariance(), false)).multiply(sqrtP);
    RealMatrix symmetric = middle.add(middle.transpose()).scalarMultiply(0.5); // rounding breaks the exact symmetry
    double traceSqrt = 0;
    for (double eigenvalue : new EigenDecomposition(symmetric).getRealEigenvalues()) {
      traceSqrt += Math.sqrt(Math.max(eigenvalue, 0));
    }
    return meanTerm + trace(p.covariance()) + trace(q.covariance()) - 2 * traceSqrt;
  }

  /** Square root of a symmetric PSD matrix, V diag(sqrt(max(l, 0))) V^T. */
  public static double[][] sqrtPsd(double[][] symmetric) {
    return sqrtPsd(new Array2DRowRealMatrix(symmetric, true)).getData();
  }

  private static RealMatrix sqrtPsd(RealMatrix symmetric) {
    EigenDecomposition e = new EigenDecomposition(symmetric);
    RealMatrix v = e.getV();
    double[] roots = e.getRealEigenvalues().clone();
    for (int k = 0; k < roots.length; k++) {
      roots[k] = Math.sqrt(Math.max(roots[k], 0));
    }
    RealMatrix scaled = v.copy();
    for (int k = 0; k < roots.length; k++) {
      for (int i = 0; i < roots.length; i++) {
        scaled.multiplyEntry(i, k, roots[k]);
      }
    }
    return scaled.multiply(v.transpose());
  }

  static double[][] multiply(double[][] x, double[][] y) {
    return new Array2DRowRealMatrix(x, false).multiply(new Array2DRowRealMatrix(y, false)).getData();
  }

  private static double trace(double[][] m) {
    double t = 0;
    for (int i = 0; i < m.length; i++) {
      t += m[i][i];
    }
    return t;
  }
}
