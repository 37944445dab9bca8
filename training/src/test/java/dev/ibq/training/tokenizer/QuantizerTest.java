package dev.ibq.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The quantizer facts of IBQ.md, checked against plain-Java arithmetic on tiny fixed examples. */
class QuantizerTest {

  // A fixed tiny example: N = 2 positions, D = 3, K = 4 codes, and an upstream gradient G = dL/dz_q.
  private static final double[][] Z = {{0.5, -0.2, 0.3}, {-0.4, 0.1, 0.6}};
  private static final double[][] C = {{0.3, 0.1, -0.2}, {-0.5, 0.4, 0.2}, {0.2, -0.3, 0.6}, {0.1, 0.2, 0.1}};
  private static final double[][] G = {{0.7, -0.1, 0.4}, {-0.3, 0.5, 0.2}};

  private NDManager manager;

  @BeforeEach
  void setUp() {
    Engine.getInstance().setRandomSeed(11);
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  @Test
  void ibqGivesEveryCodebookRowAGradientWhileVqOnlyTheSelectedOnes() {
    int k = 64;
    int d = 8;
    NDArray z = manager.randomNormal(new Shape(2, d, 2, 2)); // N = 8 positions
    NDArray target = manager.randomNormal(new Shape(2, d, 2, 2));

    IndexPropagationQuantizer ibq = new IndexPropagationQuantizer(manager, k, d);
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      QuantizerOutput out = ibq.quantize(z);
      collector.backward(out.zQ().mul(target).sum().add(out.loss("quant")));
    }
    float[] ibqRowNorms = ibq.embedding().getGradient().abs().sum(new int[] {1}).toFloatArray();
    for (int j = 0; j < k; j++) {
      assertThat(ibqRowNorms[j]).as("IBQ gradient of code %d", j).isGreaterThan(0f);
    }

    VectorQuantizer vq = new VectorQuantizer(manager, k, d);
    Set<Integer> selected = new HashSet<>();
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      QuantizerOutput out = vq.quantize(z);
      for (int index : out.indices().toIntArray()) {
        selected.add(index);
      }
      collector.backward(out.zQ().mul(target).sum().add(out.loss("quant"))
          .add(TokenizerLosses.entropyLoss(out.logits(), TokenizerLosses.ENTROPY_TEMPERATURE)));
    }
    assertThat(selected.size()).isBetween(1, 8);
    float[] vqRowNorms = vq.embedding().getGradient().abs().sum(new int[] {1}).toFloatArray();
    for (int j = 0; j < k; j++) {
      if (selected.contains(j)) {
        assertThat(vqRowNorms[j]).as("VQ gradient of selected code %d", j).isGreaterThan(0f);
      } else {
        assertThat(vqRowNorms[j]).as("VQ gradient of unselected code %d", j).isEqualTo(0f);
      }
    }
  }

  @Test
  void theGatherFormulationHasTheOneHotFormulasValuesAndGradients() {
    // z_q = C[index] + (p sg(C) - sg(p sg(C))) against the dense Ind = hard - sg(p) + p, z_q = Ind C.
    int n = 37, k = 53, d = 11;
    NDArray z = manager.randomNormal(new Shape(n, d));
    NDArray c = manager.randomNormal(new Shape(k, d));
    NDArray g = manager.randomNormal(new Shape(n, d));
    NDArray z2 = z.duplicate();
    NDArray c2 = c.duplicate();
    for (NDArray a : new NDArray[] {z, c, z2, c2}) {
      a.setRequiresGradient(true);
    }
    float[] gather;
    float[] dense;
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray logits = z.matMul(c.transpose());
      NDArray zQ = IndexPropagationQuantizer.propagateIndex(logits, CodebookOps.gatherRows(c, logits.argMax(1)), c);
      gather = zQ.toFloatArray();
      collector.backward(zQ.mul(g).sum());
    }
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray logits = z2.matMul(c2.transpose());
      NDArray p = logits.softmax(1);
      NDArray ind = CodebookOps.oneHot(logits.argMax(1), k).sub(p.stopGradient()).add(p);
      NDArray zQ = ind.matMul(c2);
      dense = zQ.toFloatArray();
      collector.backward(zQ.mul(g).sum());
    }
    // Forward: the gather is exactly C[index]; the dense product equals it to float32 rounding.
    for (int i = 0; i < dense.length; i++) {
      assertThat((double) gather[i]).as("z_q[%d]", i).isCloseTo(dense[i], within(1e-5));
    }
    float[] dzA = z.getGradient().toFloatArray();
    float[] dzB = z2.getGradient().toFloatArray();
    float[] dcA = c.getGradient().toFloatArray();
    float[] dcB = c2.getGradient().toFloatArray();
    for (int i = 0; i < dzA.length; i++) {
      assertThat((double) dzA[i]).as("dz[%d]", i).isCloseTo(dzB[i], within(1e-5));
    }
    for (int i = 0; i < dcA.length; i++) {
      assertThat((double) dcA[i]).as("dC[%d]", i).isCloseTo(dcB[i], within(1e-5));
    }
  }

  @Test
  void logitGradientIsPTimesScoreMinusMeanScore() {
    NDArray logits = manager.create(new float[][] {{0.4f, -0.3f, 1.1f, 0.2f}, {-0.6f, 0.9f, 0.1f, 0.5f}});
    logits.setRequiresGradient(true);
    NDArray codebook = array(C);
    NDArray upstream = array(G);
    NDArray zQ;
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray zHard = CodebookOps.gatherRows(codebook, logits.argMax(1));
      zQ = IndexPropagationQuantizer.propagateIndex(logits, zHard, codebook);
      collector.backward(zQ.mul(upstream).sum()); // dL/dz_q = G
    }
    double[][] l = {{0.4, -0.3, 1.1, 0.2}, {-0.6, 0.9, 0.1, 0.5}};
    float[] grad = logits.getGradient().toFloatArray();
    for (int n = 0; n < 2; n++) {
      double[] p = softmax(l[n]);
      double[] s = new double[4];
      double sBar = 0;
      for (int j = 0; j < 4; j++) {
        s[j] = dot(G[n], C[j]);
        sBar += p[j] * s[j];
      }
      for (int j = 0; j < 4; j++) {
        assertThat((double) grad[n * 4 + j]).as("dL/dl[%d][%d]", n, j).isCloseTo(p[j] * (s[j] - sBar), within(1e-6));
      }
    }
    // The forward value is exactly the selected code: rows 2 and 1 of C.
    assertThat(zQ.toFloatArray()).containsExactly(array(new double[][] {C[2], C[1]}).toFloatArray());
  }

  @Test
  void zAndCodesReceiveTheGradientsOfIbqMd() {
    IndexPropagationQuantizer ibq = new IndexPropagationQuantizer(manager, 4, 3);
    TokenizerModule.copyInto(array(C), ibq.embedding());
    NDArray z = array(Z);
    z.setRequiresGradient(true);
    int[] indices;
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      QuantizerOutput out = ibq.quantize(z);
      indices = out.indices().toIntArray();
      collector.backward(out.zQ().mul(array(G)).sum());
    }
    double[][] expectedZ = new double[2][3];
    double[][] expectedC = new double[4][3];
    for (int n = 0; n < 2; n++) {
      double[] l = new double[4];
      for (int j = 0; j < 4; j++) {
        l[j] = dot(Z[n], C[j]);
      }
      assertThat(indices[n]).isEqualTo(argMax(l));
      double[] p = softmax(l);
      double[] s = new double[4];
      double sBar = 0;
      for (int j = 0; j < 4; j++) {
        s[j] = dot(G[n], C[j]);
        sBar += p[j] * s[j];
      }
      for (int j = 0; j < 4; j++) {
        double dl = p[j] * (s[j] - sBar);
        for (int e = 0; e < 3; e++) {
          expectedZ[n][e] += dl * C[j][e]; // z receives sum_j p_j (s_j - s_bar) c_j
          expectedC[j][e] += dl * Z[n][e] + (j == indices[n] ? G[n][e] : 0); // every code; the selected one also g
        }
      }
    }
    assertClose(z.getGradient().toFloatArray(), expectedZ);
    assertClose(ibq.embedding().getGradient().toFloatArray(), expectedC);
  }

  @Test
  void doubleQuantizationLossIs225TimesMseToTheSelectedCode() {
    IndexPropagationQuantizer ibq = new IndexPropagationQuantizer(manager, 4, 3);
    TokenizerModule.copyInto(array(C), ibq.embedding());
    QuantizerOutput out = ibq.quantize(array(Z));
    double sum = 0;
    for (int n = 0; n < 2; n++) {
      double[] l = new double[4];
      for (int j = 0; j < 4; j++) {
        l[j] = dot(Z[n], C[j]);
      }
      double[] code = C[argMax(l)];
      for (int e = 0; e < 3; e++) {
        sum += (Z[n][e] - code[e]) * (Z[n][e] - code[e]);
      }
    }
    double mse = sum / 6;
    assertThat((double) out.loss("quant").getFloat()).isCloseTo(2.25 * mse, within(1e-6));
    assertThat(out.zHard().toFloatArray()).containsExactly(out.zQ().toFloatArray());
  }

  @Test
  void entropyLossMatchesAHandComputation() {
    double[][] l = {{0.01, 0.03, -0.02, 0.0}, {0.02, 0.02, 0.05, -0.01}, {-0.03, 0.04, 0.01, 0.02}};
    NDArray loss = TokenizerLosses.entropyLoss(array(l), 0.01);
    double eps = 1e-5;
    double sample = 0;
    double[] mean = new double[4];
    for (double[] row : l) {
      double[] scaled = new double[4];
      for (int j = 0; j < 4; j++) {
        scaled[j] = row[j] / 0.01;
      }
      double[] q = softmax(scaled);
      for (int j = 0; j < 4; j++) {
        sample -= q[j] * Math.log(q[j]) / l.length; // exact log q (IBQ.md); eps only in the batch term
        mean[j] += q[j] / l.length;
      }
    }
    double batch = 0;
    for (double m : mean) {
      batch -= m * Math.log(m + eps);
    }
    assertThat((double) loss.getFloat()).isCloseTo(sample - batch, within(1e-5));
    assertThat(sample - batch).isLessThan(0); // the batch spreads over codes more than each sample does
  }

  @Test
  void entropyLossGradientStaysOutOfTheDenormalRange() {
    // The K = 1024 step's N: 16 images of 16 x 16 tokens. At temperature 0.01 most q are far below the smallest
    // normal float32; the gradient the generator's backward pass writes (weight x g) must be 0 or normal, or the
    // (N, K) passes that carry it run at denormal speed (TokenizerLosses.LOG_Q_FLOOR).
    int n = 4096;
    int k = 64;
    manager.getEngine().setRandomSeed(3);
    NDArray logits = manager.randomNormal(0f, 4f, new Shape(n, k), ai.djl.ndarray.types.DataType.FLOAT32);
    logits.setRequiresGradient(true);
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray loss = TokenizerLosses.entropyLoss(logits, TokenizerLosses.ENTROPY_TEMPERATURE);
      collector.backward(loss.mul(manager.create((float) TokenizerLosses.ENTROPY_WEIGHT)));
    }
    float[] g = logits.getGradient().toFloatArray();
    int denormal = 0;
    int floored = 0;
    for (float v : g) {
      if (v != 0 && Math.abs(v) < Float.MIN_NORMAL) {
        denormal++;
      }
      if (v != 0 && Math.abs(v) < 1e-20) {
        floored++;
      }
    }
    assertThat(floored).as("entries at the floor (the case this test is about)").isGreaterThan(n * k / 2);
    assertThat(denormal).as("denormal gradient entries").isZero();
  }

  @Test
  void ibqPicksTheMaximumInnerProductNotTheNearestCode() {
    // z = (1, 0): code 0 = (0.9, 0) is nearest (distance 0.1), code 1 = (3, 0) has the larger inner product.
    double[][] codes = {{0.9, 0.0}, {3.0, 0.0}, {-1.0, 0.5}};
    NDArray z = manager.create(new float[][] {{1f, 0f}});
    IndexPropagationQuantizer ibq = new IndexPropagationQuantizer(manager, 3, 2);
    TokenizerModule.copyInto(array(codes), ibq.embedding());
    VectorQuantizer vq = new VectorQuantizer(manager, 3, 2);
    TokenizerModule.copyInto(array(codes), vq.embedding());
    assertThat(ibq.quantize(z).indices().toIntArray()).containsExactly(1);
    assertThat(ibq.indices(z).toIntArray()).containsExactly(1);
    assertThat(vq.quantize(z).indices().toIntArray()).containsExactly(0);
    assertThat(vq.indices(z).toIntArray()).containsExactly(0);
  }

  @Test
  void vqLossIsCodebookPlusQuarterCommitmentAndForwardsTheCode() {
    VectorQuantizer vq = new VectorQuantizer(manager, 4, 3);
    TokenizerModule.copyInto(array(C), vq.embedding());
    QuantizerOutput out = vq.quantize(array(Z));
    int[] indices = out.indices().toIntArray();
    double sum = 0;
    for (int n = 0; n < 2; n++) {
      double best = Double.MAX_VALUE;
      int bestJ = -1;
      for (int j = 0; j < 4; j++) {
        double dist = 0;
        for (int e = 0; e < 3; e++) {
          dist += (Z[n][e] - C[j][e]) * (Z[n][e] - C[j][e]);
        }
        if (dist < best) {
          best = dist;
          bestJ = j;
        }
      }
      assertThat(indices[n]).isEqualTo(bestJ);
      sum += best;
    }
    assertThat((double) out.loss("quant").getFloat()).isCloseTo(1.25 * sum / 6, within(1e-6));
    assertClose(out.zQ().toFloatArray(), new double[][] {C[indices[0]], C[indices[1]]});
  }

  @Test
  void vqLegacyLossPutsBetaOnTheCodebookTermAndInitialisesUniformly() {
    // taming's VectorQuantizer2(legacy=True): MSE(sg(z_q), z) + 0.25 MSE(z_q, sg(z)). With n elements:
    // dL/dz = 2 (z - c) / n (weight 1 on commitment); dL/dc = 0.25 * 2 (c - z) / n on the selected code only.
    VectorQuantizer vq = new VectorQuantizer(manager, 4, 3);
    float[] init = vq.embedding().toFloatArray();
    for (float v : init) {
      assertThat((double) v).isBetween(-0.25, 0.25); // uniform(-1/K, 1/K), K = 4
    }
    TokenizerModule.copyInto(array(C), vq.embedding());
    NDArray z = array(Z);
    z.setRequiresGradient(true);
    vq.embedding().setRequiresGradient(true);
    int[] indices;
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      QuantizerOutput out = vq.quantize(z);
      indices = out.indices().toIntArray();
      collector.backward(out.loss("quant"));
    }
    double n = 6;
    float[] gz = z.getGradient().toFloatArray();
    float[] gc = vq.embedding().getGradient().toFloatArray();
    double[] expectedC = new double[12];
    for (int row = 0; row < 2; row++) {
      for (int e = 0; e < 3; e++) {
        double diff = Z[row][e] - C[indices[row]][e];
        assertThat((double) gz[row * 3 + e]).isCloseTo(2 * diff / n, within(1e-6));
        expectedC[indices[row] * 3 + e] += 0.25 * 2 * -diff / n;
      }
    }
    for (int i = 0; i < 12; i++) {
      assertThat((double) gc[i]).as("codebook gradient %d", i).isCloseTo(expectedC[i], within(1e-6));
    }
  }

  @Test
  void codesRoundTripIndicesAndCountsSumToPositions() {
    IndexPropagationQuantizer ibq = new IndexPropagationQuantizer(manager, 32, 4);
    NDArray z = manager.randomNormal(new Shape(3, 4, 2, 5));
    QuantizerOutput out = ibq.quantize(z);
    assertThat(out.indices().getShape()).isEqualTo(new Shape(3, 2, 5));
    assertThat(ibq.codes(out.indices()).toFloatArray()).containsExactly(out.zHard().toFloatArray());
    assertThat(out.codeCounts().sum().getFloat()).isEqualTo(30f);
    assertThat(out.usedCodes()).isBetween(1, 30);
    assertThat(out.perplexity()).isBetween(1.0, 30.0);
  }

  private NDArray array(double[][] values) {
    float[][] f = new float[values.length][];
    for (int i = 0; i < values.length; i++) {
      f[i] = new float[values[i].length];
      for (int j = 0; j < values[i].length; j++) {
        f[i][j] = (float) values[i][j];
      }
    }
    return manager.create(f);
  }

  private static void assertClose(float[] actual, double[][] expected) {
    int i = 0;
    for (double[] row : expected) {
      for (double v : row) {
        assertThat((double) actual[i]).as("element %d", i).isCloseTo(v, within(1e-6));
        i++;
      }
    }
    assertThat(actual).hasSize(i);
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static double[] softmax(double[] l) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : l) {
      max = Math.max(max, v);
    }
    double sum = 0;
    double[] e = new double[l.length];
    for (int i = 0; i < l.length; i++) {
      e[i] = Math.exp(l[i] - max);
      sum += e[i];
    }
    for (int i = 0; i < l.length; i++) {
      e[i] /= sum;
    }
    return e;
  }

  static int argMax(double[] l) {
    int best = 0;
    for (int i = 1; i < l.length; i++) {
      if (l[i] > l[best]) {
        best = i;
      }
    }
    return best;
  }
}
