package dev.ibq.training.autoregressive.eval;

/**
 * Fréchet distance between two Gaussians fitted to feature sets (the FID formula of Heusel et al. 2017):
 *
 * <pre>
 *   d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)
 * </pre>
 *
 * The matrix square roots are taken by eigen-decomposition of symmetric positive semi-definite matrices with the
 * cyclic Jacobi method in plain Java: first A = S1^1/2 = V diag(sqrt(max(l, 0))) V^T, then the trace of the square
 * root of the symmetric PSD matrix A S2 A is the sum of the square roots of its eigenvalues. This equals the usual
 * Tr((S1 S2)^1/2) without a non-symmetric matrix square root.
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
    double[][] sqrtP = sqrtPsd(p.covariance());
    double[][] middle = multiply(multiply(sqrtP, q.covariance()), sqrtP);
    symmetrise(middle);
    double traceSqrt = 0;
    for (double eigenvalue : eigen(middle).values()) {
      traceSqrt += Math.sqrt(Math.max(eigenvalue, 0));
    }
    return meanTerm + trace(p.covariance()) + trace(q.covariance()) - 2 * traceSqrt;
  }

  /** Eigen-decomposition of a symmetric matrix: values and the eigenvectors as the columns of vectors. */
  public record Eigen(double[] values, double[][] vectors) {}

  /** Cyclic Jacobi eigen-decomposition of a symmetric matrix (not modified). */
  public static Eigen eigen(double[][] symmetric) {
    int n = symmetric.length;
    double[][] a = new double[n][];
    for (int i = 0; i < n; i++) {
      a[i] = symmetric[i].clone();
    }
    double[][] v = new double[n][n];
    for (int i = 0; i < n; i++) {
      v[i][i] = 1;
    }
    for (int sweep = 0; sweep < 100; sweep++) {
      double off = 0;
      double scale = 0;
      for (int i = 0; i < n; i++) {
        scale += a[i][i] * a[i][i];
        for (int j = i + 1; j < n; j++) {
          off += a[i][j] * a[i][j];
        }
      }
      if (off <= 1e-30 * Math.max(scale, 1e-300)) {
        break;
      }
      for (int p = 0; p < n; p++) {
        for (int q = p + 1; q < n; q++) {
          double apq = a[p][q];
          if (Math.abs(apq) < 1e-300) {
            continue;
          }
          double theta = (a[q][q] - a[p][p]) / (2 * apq);
          double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          if (theta == 0) {
            t = 1;
          }
          double c = 1 / Math.sqrt(t * t + 1);
          double s = t * c;
          for (int k = 0; k < n; k++) { // rotate columns p, q
            double akp = a[k][p];
            double akq = a[k][q];
            a[k][p] = c * akp - s * akq;
            a[k][q] = s * akp + c * akq;
          }
          for (int k = 0; k < n; k++) { // rotate rows p, q
            double apk = a[p][k];
            double aqk = a[q][k];
            a[p][k] = c * apk - s * aqk;
            a[q][k] = s * apk + c * aqk;
          }
          for (int k = 0; k < n; k++) {
            double vkp = v[k][p];
            double vkq = v[k][q];
            v[k][p] = c * vkp - s * vkq;
            v[k][q] = s * vkp + c * vkq;
          }
        }
      }
    }
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      values[i] = a[i][i];
    }
    return new Eigen(values, v);
  }

  /** Square root of a symmetric PSD matrix, V diag(sqrt(max(l, 0))) V^T. */
  public static double[][] sqrtPsd(double[][] symmetric) {
    Eigen e = eigen(symmetric);
    int n = symmetric.length;
    double[][] out = new double[n][n];
    for (int k = 0; k < n; k++) {
      double root = Math.sqrt(Math.max(e.values()[k], 0));
      if (root == 0) {
        continue;
      }
      for (int i = 0; i < n; i++) {
        double vik = e.vectors()[i][k] * root;
        for (int j = 0; j < n; j++) {
          out[i][j] += vik * e.vectors()[j][k];
        }
      }
    }
    return out;
  }

  static double[][] multiply(double[][] x, double[][] y) {
    int n = x.length;
    int m = y[0].length;
    int inner = y.length;
    double[][] out = new double[n][m];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < inner; k++) {
        double xik = x[i][k];
        if (xik == 0) {
          continue;
        }
        for (int j = 0; j < m; j++) {
          out[i][j] += xik * y[k][j];
        }
      }
    }
    return out;
  }

  private static void symmetrise(double[][] m) {
    for (int i = 0; i < m.length; i++) {
      for (int j = i + 1; j < m.length; j++) {
        double avg = 0.5 * (m[i][j] + m[j][i]);
        m[i][j] = avg;
        m[j][i] = avg;
      }
    }
  }

  private static double trace(double[][] m) {
    double t = 0;
    for (int i = 0; i < m.length; i++) {
      t += m[i][i];
    }
    return t;
  }
}
