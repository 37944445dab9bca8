package dev.ibq.training.autoregressive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Numeric properties of the AR transformer on a tiny config (C 16, 2 layers, 2 heads of dim 8, 3x4 grid). */
class TransformerTest {

  /** NOTE: head dim 8 and ffnMultipleOf 16 keep the test model tiny; presets use 64 and 256. */
  static ArConfig tinyConfig() {
    return new ArConfig("tiny", 16, 2, 2, 16, 11, 3, 4, 5, 0f, 0f, 10000f, 1e-5f, 0.02f);
  }

  private static NDManager manager;
  private static Transformer model;

  @BeforeAll
  static void build() {
    manager = NDManager.newBaseManager();
    model = new Transformer(manager, tinyConfig(), 7);
    randomiseHead(model, 11);
  }

  @AfterAll
  static void close() {
    model.close();
    manager.close();
  }

  /** The head starts at zero (all logits equal); give it values so the tests see real logits. */
  static void randomiseHead(Transformer m, long seed) {
    NDArray head = m.parameters().get("output.weight");
    Random random = new Random(seed);
    float[] values = new float[Math.toIntExact(head.size())];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    head.addi(manager.create(values, head.getShape()));
  }

  @Test
  void headIsZeroInitialisedSoTheFirstPredictionIsUniform() {
    try (NDManager m = NDManager.newBaseManager();
        Transformer fresh = new Transformer(m, tinyConfig(), 1)) {
      NDArray logits = fresh.forward(m.create(new long[] {1, 2, 3}, new Shape(1, 3)), m.create(new long[] {0}), false);
      assertThat(logits.getShape()).isEqualTo(new Shape(1, 4, 11));
      assertThat(logits.abs().max().getFloat()).isZero();
      assertThat(fresh.parameterCount()).isEqualTo(tinyConfig().parameterCount());
    }
  }

  @Test
  void changingAFutureTokenDoesNotChangeEarlierLogits() {
    long[] a = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
    long[] b = a.clone();
    b[6] = 10; // t_7 changes: logits at rows 0..6 (which predict t_1..t_7) must not
    NDArray labels = manager.create(new long[] {2});
    float[] la = model.forward(manager.create(a, new Shape(1, 11)), labels, false).toFloatArray();
    float[] lb = model.forward(manager.create(b, new Shape(1, 11)), labels, false).toFloatArray();
    int k = 11;
    for (int i = 0; i < 7 * k; i++) {
      assertThat(lb[i]).as("logit %d of row %d", i % k, i / k).isCloseTo(la[i], within(1e-6f));
    }
    double later = 0;
    for (int i = 7 * k; i < la.length; i++) {
      later += Math.abs(la[i] - lb[i]);
    }
    assertThat(later).as("rows after the changed token must see it").isGreaterThan(1e-4);
  }

  @Test
  void kvCacheSamplingGivesTheLogitsOfAFullRecomputation() {
    int[] labels = {0, 4, 5};
    SamplingOptions options = new SamplingOptions(3.0f, 1.0f, 0, 1f, 42, true);
    ArSampler.Result cached = ArSampler.sample(model, labels, options, true);
    ArSampler.Result recomputed = ArSampler.sample(model, labels, options.withKvCache(false), true);
    assertThat(cached.tokens()).isDeepEqualTo(recomputed.tokens());
    assertThat(cached.stepLogits()).hasSize(12);
    for (int step = 0; step < 12; step++) {
      for (int r = 0; r < labels.length; r++) {
        float[] c = cached.stepLogits().get(step)[r];
        float[] f = recomputed.stepLogits().get(step)[r];
        for (int k = 0; k < c.length; k++) {
          assertThat(c[k]).as("step %d row %d token %d", step, r, k).isCloseTo(f[k], within(1e-4f));
        }
      }
    }
    // And against one teacher-forced pass over the sampled sequence (conditional rows, no guidance).
    SamplingOptions plain = options.withCfgScale(1f);
    ArSampler.Result sampled = ArSampler.sample(model, labels, plain, true);
    long[] flat = new long[labels.length * 11];
    for (int r = 0; r < labels.length; r++) {
      for (int i = 0; i < 11; i++) {
        flat[r * 11 + i] = sampled.tokens()[r][i];
      }
    }
    NDArray full =
        model.forward(
            manager.create(flat, new Shape(labels.length, 11)), manager.create(new long[] {0, 4, 5}), false);
    for (int step = 0; step < 12; step++) {
      float[] row = full.get(new NDIndex(":, {}", step)).toFloatArray(); // (R, K)
      for (int r = 0; r < labels.length; r++) {
        for (int k = 0; k < 11; k++) {
          assertThat(sampled.stepLogits().get(step)[r][k]).isCloseTo(row[r * 11 + k], within(1e-4f));
        }
      }
    }
  }

  @Test
  void guidanceScaleOneEqualsTheConditionalLogits() {
    int[][] prefixes = {{1, 2, 3, 4}, {5, 6, 7, 8}};
    int[] labels = {1, 3};
    float[][] guided = ArSampler.guidedLogits(model, prefixes, labels, 1f);
    NDArray conditional =
        model.forward(
            manager.create(new long[] {1, 2, 3, 4, 5, 6, 7, 8}, new Shape(2, 4)), manager.create(new long[] {1, 3}),
            false);
    float[] last = conditional.get(new NDIndex(":, 4")).toFloatArray(); // (2, K)
    for (int r = 0; r < 2; r++) {
      for (int k = 0; k < 11; k++) {
        assertThat(guided[r][k]).isCloseTo(last[r * 11 + k], within(1e-5f));
      }
    }
    // and a larger scale moves away from the conditional logits along (c - u)
    float[][] stronger = ArSampler.guidedLogits(model, prefixes, labels, 3f);
    assertThat(stronger[0]).isNotEqualTo(guided[0]);
  }

  @Test
  void rope2dRotatesRowPairsByRowAndColumnPairsByColumn() {
    Rope2d rope = model.rope(); // head dim 8: pairs 0,1 encode the row, pairs 2,3 the column; grid 3x4
    assertThat(rope.angles(0)).containsExactly(0, 0, 0, 0); // the class token is not rotated
    // position 7 holds t_7, raster index 6: row 1, col 2. Frequencies 10000^(-j/2): 1 and 0.01.
    assertThat(rope.angles(7)).containsExactly(new double[] {1.0, 0.01, 2.0, 0.02}, within(1e-12));
    // position 12 holds t_12, raster index 11: row 2, col 3
    assertThat(rope.angles(12)).containsExactly(new double[] {2.0, 0.02, 3.0, 0.03}, within(1e-12));

    // apply(): a unit vector on pair 2 (elements 4, 5) at position 7 rotates by the column angle 2 rad.
    float[] x = new float[8];
    x[4] = 1f;
    NDArray rotated = rope.apply(manager.create(x, new Shape(1, 1, 1, 8)), 7);
    float[] r = rotated.toFloatArray();
    assertThat(r[4]).isCloseTo((float) Math.cos(2.0), within(1e-6f));
    assertThat(r[5]).isCloseTo((float) Math.sin(2.0), within(1e-6f));
    assertThat(r[0]).isZero();
    // and a unit vector on pair 0 (elements 0, 1) rotates by the row angle 1 rad: (x0, x1) = (0, 1) -> (-sin, cos)
    float[] y = new float[8];
    y[1] = 1f;
    float[] ry = rope.apply(manager.create(y, new Shape(1, 1, 1, 8)), 7).toFloatArray();
    assertThat(ry[0]).isCloseTo((float) -Math.sin(1.0), within(1e-6f));
    assertThat(ry[1]).isCloseTo((float) Math.cos(1.0), within(1e-6f));
  }

  @Test
  void topKAndTopPKeepOnlyTheLikelyTokens() {
    float[] logits = {0f, 5f, 4f, -1f, 3f};
    Random random = new Random(3);
    SamplingOptions top2 = new SamplingOptions(1f, 1f, 2, 1f, 0, true);
    SamplingOptions nucleus = new SamplingOptions(1f, 1f, 0, 0.5f, 0, true);
    for (int i = 0; i < 200; i++) {
      assertThat(ArSampler.drawToken(logits, top2, random)).isIn(1, 2);
      assertThat(ArSampler.drawToken(logits, nucleus, random)).isEqualTo(1); // p(1) = 0.66 >= 0.5 alone
    }
    assertThat(ArSampler.drawToken(logits, new SamplingOptions(1f, 0f, 0, 1f, 0, true), random)).isEqualTo(1);
    assertThat(List.of(1, 2)).contains(ArSampler.drawToken(logits, top2, random));
  }
}
