package dev.ibq.training.tokenizer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.ibq.training.tokenizer.Quantizer;
import java.util.Random;

/**
 * Why a codebook is or is not fully used: the shape of the encoder's latents z against the codebook.
 *
 * <p>IBQ picks codes by maximum inner product. A code can then win only if it is a vertex of the convex hull of
 * the codebook projected onto the space z actually occupies: with K random N(0, 1) codes in D = 256 and z confined
 * to an effectively d-dimensional subspace, most codes are interior points for small d and can never be selected,
 * whatever the softmax does. This class measures (1) the effective dimension of z over the evaluated positions, as
 * the participation ratio (tr S)^2 / tr(S^2) of their covariance S (d for an isotropic d-dimensional Gaussian), and
 * (2) how many codes the quantizer's own selection rule reaches on samples from a Gaussian with z's mean and
 * covariance: the utilization this codebook allows for latents of that shape.
 *
 * <p>Accumulate z with {@link #add}, then call {@link #effectiveDimension} and {@link #gaussianReachableCodes}.
 */
public final class LatentGeometry {

  private final int dim;
  private final double[] sum;
  private final double[] outer; // sum of z z^T, row-major (D, D)
  private long count;

  public LatentGeometry(int dim) {
    this.dim = dim;
    this.sum = new double[dim];
    this.outer = new double[dim * dim];
  }

  /** Adds latents laid out as (N, D). */
  public void add(NDArray flat) {
    if (flat.getShape().dimension() != 2 || flat.getShape().get(1) != dim) {
      throw new IllegalArgumentException("Expected latents of shape (N, " + dim + "), got " + flat.getShape() + ".");
    }
    float[] s = flat.sum(new int[] {0}).toFloatArray();
    float[] o = flat.transpose().matMul(flat).toFloatArray();
    for (int i = 0; i < dim; i++) {
      sum[i] += s[i];
    }
    for (int i = 0; i < o.length; i++) {
      outer[i] += o[i];
    }
    count += flat.getShape().get(0);
  }

  public long count() {
    return count;
  }

  /** The mean of the latents added so far. */
  public double[] mean() {
    double[] m = new double[dim];
    for (int i = 0; i < dim; i++) {
      m[i] = sum[i] / count;
    }
    return m;
  }

  /** The covariance (population) of the latents added so far, row-major (D, D). */
  public double[] covariance() {
    double[] m = mean();
    double[] c = new double[dim * dim];
    for (int i = 0; i < dim; i++) {
      for (int j = 0; j < dim; j++) {
        c[i * dim + j] = outer[i * dim + j] / count - m[i] * m[j];
      }
    }
    return c;
  }

  /** The participation ratio (tr S)^2 / tr(S^2) of the covariance S: between 1 and D. */
  public double effectiveDimension() {
    return participationRatio(covariance(), dim);
  }

  static double participationRatio(double[] covariance, int dim) {
    double trace = 0;
    double frobenius = 0;
    for (int i = 0; i < dim; i++) {
      trace += covariance[i * dim + i];
    }
    for (double v : covariance) {
      frobenius += v * v;
    }
    return frobenius == 0 ? 0 : trace * trace / frobenius;
  }

  /**
   * Codes selected at least once by {@code quantizer.indices} on {@code samples} draws from N(mean, covariance)
   * (seeded): the utilization the current codebook allows for Gaussian latents of z's shape.
   */
  public int gaussianReachableCodes(Quantizer quantizer, int samples, long seed, NDManager parent) {
    double[] lower = cholesky(covariance(), dim);
    double[] m = mean();
    boolean[] used = new boolean[quantizer.codebookSize()];
    Random random = new Random(seed);
    int batch = 4096;
    float[] noise = new float[batch * dim];
    float[] meanF = new float[dim];
    float[] lowerT = new float[dim * dim]; // L^T so that z = m + e L^T
    for (int i = 0; i < dim; i++) {
      meanF[i] = (float) m[i];
      for (int j = 0; j < dim; j++) {
        lowerT[j * dim + i] = (float) lower[i * dim + j];
      }
    }
    for (int done = 0; done < samples; done += batch) {
      int n = Math.min(batch, samples - done);
      for (int i = 0; i < n * dim; i++) {
        noise[i] = (float) random.nextGaussian();
      }
      try (NDManager scope = parent.newSubManager()) {
        NDArray e = scope.create(noise, new Shape(batch, dim)).get("0:" + n);
        NDArray z = e.matMul(scope.create(lowerT, new Shape(dim, dim))).add(scope.create(meanF));
        NDArray indices = quantizer.indices(z.reshape(n, dim, 1, 1));
        for (long k : indices.toType(DataType.INT64, false).toLongArray()) {
          used[(int) k] = true;
        }
      }
    }
    int reached = 0;
    for (boolean u : used) {
      if (u) {
        reached++;
      }
    }
    return reached;
  }

  /**
   * The lower Cholesky factor of a symmetric positive semi-definite matrix, with a jitter of 1e-6 times the mean
   * variance on the diagonal (covariances of low-rank latents are singular).
   */
  static double[] cholesky(double[] a, int n) {
    double meanVariance = 0;
    for (int i = 0; i < n; i++) {
      meanVariance += a[i * n + i];
    }
    double jitter = Math.max(1e-12, 1e-6 * meanVariance / n);
    double[] l = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = a[i * n + j] + (i == j ? jitter : 0);
        for (int k = 0; k < j; k++) {
          s -= l[i * n + k] * l[j * n + k];
        }
        if (i == j) {
          l[i * n + i] = Math.sqrt(Math.max(s, 0));
        } else {
          l[i * n + j] = l[j * n + j] == 0 ? 0 : s / l[j * n + j];
        }
      }
    }
    return l;
  }
}
