package dev.ibq.training.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The int8 coarse + float32 rerank quantizer against the exact argmax_k z . c_k computed here in double, on Gaussian
 * codes N(0, 1) and z N(0, 1/D) (the benchmark's statistics), in real ONNX Runtime.
 */
class CoarseRerankGraphTest {
  private static final int K = 8192;
  private static final int D = 64;
  private static final int N = 2048;

  private static float[] gaussian(Random rnd, int count, double std) {
    float[] v = new float[count];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextGaussian() * std);
    }
    return v;
  }

  /** Exact argmax and the gap to the runner-up (double precision) per position. */
  private static double[][] exact(float[] codebook, float[] z) {
    double[][] out = new double[2][N];
    for (int p = 0; p < N; p++) {
      double best = Double.NEGATIVE_INFINITY;
      double second = Double.NEGATIVE_INFINITY;
      int arg = -1;
      for (int k = 0; k < K; k++) {
        double s = 0;
        for (int i = 0; i < D; i++) {
          s += (double) z[p * D + i] * codebook[k * D + i];
        }
        if (s > best) {
          second = best;
          best = s;
          arg = k;
        } else if (s > second) {
          second = s;
        }
      }
      out[0][p] = arg;
      out[1][p] = best - second;
    }
    return out;
  }

  private static int mismatches(int perChunk, int candidates, float[] codebook, float[] z, double[][] ref) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] model = QuantizerPeakBenchmark.coarseModel(codebook, K, D, 1024, perChunk, candidates);
    try (OrtSession s = QuantizerPeakBenchmark.session(env, model, 1)) {
      long[] ids = QuantizerPeakBenchmark.call(env, s, z, N, D);
      assertThat(ids).hasSize(N);
      int wrong = 0;
      for (int p = 0; p < N; p++) {
        if (ids[p] != (long) ref[0][p]) {
          // a disagreement is only acceptable on a float32 near-tie of the exact scores (scores are about 1 here)
          assertThat(ref[1][p]).as("score gap at position %d where the tokens differ", p).isLessThan(perChunk > 1 ? 1e-5 : 1);
          wrong++;
        }
      }
      return wrong;
    }
  }

  @Test
  void rerankedTokensMatchTheExactArgmaxAndTheInt8ArgmaxAloneDoesNot() throws Exception {
    Random rnd = new Random(7);
    float[] codebook = gaussian(rnd, K * D, 1.0);
    float[] z = gaussian(rnd, N * D, 1.0 / Math.sqrt(D));
    double[][] ref = exact(codebook, z);
    int reranked = mismatches(4, 16, codebook, z, ref);
    assertThat(reranked).as("positions of %d where the reranked token differs from the exact argmax", N).isLessThanOrEqualTo(N / 1000);
    // the rerank is what keeps the tokens: the int8 scores alone (one candidate, nothing to rescore) lose some
    int coarseOnly = mismatches(1, 1, codebook, z, ref);
    assertThat(coarseOnly).as("positions where the int8 argmax alone differs from the exact argmax").isGreaterThan(reranked);
  }

  @Test
  void rejectsMoreRescoredCandidatesThanTheCoarsePassKeeps() {
    assertThatThrownBy(() -> new CoarseRerankGraph(new OnnxGraph("q"), new float[K * D], K, D, 1024, 2, 17))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 candidates per chunk of 1024 codes and 17 rescored candidates over 8 chunks");
  }
}
