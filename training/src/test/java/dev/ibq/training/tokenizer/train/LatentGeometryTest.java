package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.ibq.training.tokenizer.IndexPropagationQuantizer;
import dev.ibq.training.tokenizer.VectorQuantizer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The latent-geometry diagnostic behind the utilization benchmark's "why" columns. */
class LatentGeometryTest {

  @Test
  void effectiveDimensionOfAnIsotropicSubspaceIsItsDimension() {
    int dim = 16;
    int d = 4;
    int n = 20_000;
    Random random = new Random(3);
    float[] z = new float[n * dim];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        z[i * dim + j] = (float) random.nextGaussian() * 2f; // 4 active axes, scale 2
      }
      z[i * dim + 5] = 7f; // a constant offset adds no variance
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      LatentGeometry geometry = new LatentGeometry(dim);
      geometry.add(manager.create(z, new Shape(n / 2, dim)));
      geometry.add(manager.create(java.util.Arrays.copyOfRange(z, n / 2 * dim, n * dim), new Shape(n - n / 2, dim)));
      assertThat(geometry.count()).isEqualTo(n);
      assertThat(geometry.effectiveDimension()).isCloseTo(4.0, within(0.15));
      assertThat(geometry.mean()[5]).isCloseTo(7.0, within(1e-6));
      assertThat(geometry.covariance()[0]).isCloseTo(4.0, within(0.15));
    }
  }

  @Test
  void choleskyReproducesTheMatrix() {
    double[] a = {4, 2, 0.4, 2, 3, 0.5, 0.4, 0.5, 1};
    double[] l = LatentGeometry.cholesky(a, 3);
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        double s = 0;
        for (int k = 0; k < 3; k++) {
          s += l[i * 3 + k] * l[j * 3 + k];
        }
        assertThat(s).isCloseTo(a[i * 3 + j], within(1e-5));
      }
      for (int j = i + 1; j < 3; j++) {
        assertThat(l[i * 3 + j]).isZero();
      }
    }
  }

  /**
   * Five codes in a plane: four on a square's corners and one near the centre. Maximum inner product (IBQ) can
   * never pick the centre code, whatever z is: it is not a vertex of the codebook's convex hull. Nearest neighbour
   * (VQ) can: the centre code owns the region around it.
   */
  @Test
  void maximumInnerProductCannotReachAnInteriorCodeButNearestNeighbourCan() {
    float[] codebook = {1, 0, 0, 1, -1, 0, 0, -1, 0.05f, 0.05f};
    Engine.getInstance().setRandomSeed(5);
    try (NDManager manager = NDManager.newBaseManager()) {
      IndexPropagationQuantizer ibq = new IndexPropagationQuantizer(manager, 5, 2);
      VectorQuantizer vq = new VectorQuantizer(manager, 5, 2);
      ibq.embedding().set(codebook);
      vq.embedding().set(codebook);
      Random random = new Random(9);
      int n = 4_000;
      float[] z = new float[n * 2];
      for (int i = 0; i < z.length; i++) {
        z[i] = (float) random.nextGaussian() * 0.5f;
      }
      LatentGeometry geometry = new LatentGeometry(2);
      geometry.add(manager.create(z, new Shape(n, 2)));
      assertThat(geometry.gaussianReachableCodes(ibq, 20_000, 1L, manager)).isEqualTo(4);
      assertThat(geometry.gaussianReachableCodes(vq, 20_000, 1L, manager)).isEqualTo(5);
    }
  }

  /**
   * The mechanism behind IBQ's low utilization in short runs: with a random N(0, 1) codebook (K 1024, D 256) and
   * latents confined to a d-dimensional subspace, maximum inner product reaches few codes for small d and nearly
   * all for large d.
   */
  @Test
  void reachableCodesOfARandomCodebookGrowWithTheLatentDimension() {
    int k = 1024;
    int dim = 256;
    Engine.getInstance().setRandomSeed(7);
    try (NDManager manager = NDManager.newBaseManager()) {
      IndexPropagationQuantizer ibq = new IndexPropagationQuantizer(manager, k, dim); // codebook N(0, 1)
      int[] reached = new int[2];
      int[] dims = {4, 64};
      for (int c = 0; c < 2; c++) {
        int d = dims[c];
        Random random = new Random(11);
        int n = 4_096;
        float[] z = new float[n * dim];
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < d; j++) {
            z[i * dim + j] = (float) random.nextGaussian();
          }
        }
        LatentGeometry geometry = new LatentGeometry(dim);
        geometry.add(manager.create(z, new Shape(n, dim)));
        assertThat(geometry.effectiveDimension()).isCloseTo(d, within(d * 0.1));
        reached[c] = geometry.gaussianReachableCodes(ibq, 32_768, 3L, manager);
      }
      assertThat(reached[0]).isLessThan(k / 4); // d = 4: most codes are interior
      assertThat(reached[1]).isGreaterThan(k * 95 / 100); // d = 64: nearly all are reachable
    }
  }
}
