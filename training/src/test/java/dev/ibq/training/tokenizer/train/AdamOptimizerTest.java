package dev.ibq.training.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdamOptimizerTest {

  @TempDir Path dir;

  @Test
  void twoStepsMatchAdamComputedByHandAndStateRoundTrips() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray p = manager.create(new float[] {1f, -2f});
      p.setRequiresGradient(true);
      Map<String, NDArray> group = new LinkedHashMap<>(Map.of("w", p));
      OptimizerSettings s = new OptimizerSettings(0.1, 0.5, 0.9, 1e-8, 0.0, 1.0);
      AdamOptimizer adam = new AdamOptimizer(s, group, manager);
      // loss = sum(w^2 * c) with c = (3, 1): g = 2 c w
      double[] w = {1, -2};
      double[] c = {3, 1};
      double[] m = new double[2];
      double[] v = new double[2];
      for (int t = 1; t <= 2; t++) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(p.square().mul(manager.create(new float[] {3f, 1f})).sum());
        }
        adam.step(group);
        for (int i = 0; i < 2; i++) {
          double g = 2 * c[i] * w[i];
          m[i] = 0.5 * m[i] + 0.5 * g;
          v[i] = 0.9 * v[i] + 0.1 * g * g;
          double mHat = m[i] / (1 - Math.pow(0.5, t));
          double vHat = v[i] / (1 - Math.pow(0.9, t));
          w[i] -= 0.1 * mHat / (Math.sqrt(vHat) + 1e-8);
        }
        float[] actual = p.toFloatArray();
        assertThat((double) actual[0]).isCloseTo(w[0], within(1e-5));
        assertThat((double) actual[1]).isCloseTo(w[1], within(1e-5));
        assertThat(p.getGradient().abs().sum().getFloat()).isZero();
      }
      WeightFile.write(dir.resolve("adam.weights"), adam.state());
      AdamOptimizer restored = new AdamOptimizer(s, group, manager);
      restored.restore(WeightFile.read(dir.resolve("adam.weights"), manager), adam.updates());
      assertThat(restored.updates()).isEqualTo(2);
      assertThat(restored.state().get("m.w").toFloatArray()).containsExactly(adam.state().get("m.w").toFloatArray());
      assertThat(restored.state().get("v.w").toFloatArray()).containsExactly(adam.state().get("v.w").toFloatArray());
    }
  }

  @Test
  void aLearningRateScaleMultipliesTheStepOfItsParameterOnly() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray a = manager.create(new float[] {1f});
      NDArray b = manager.create(new float[] {1f});
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      Map<String, NDArray> group = new LinkedHashMap<>();
      group.put("a", a);
      group.put("b", b);
      AdamOptimizer adam =
          new AdamOptimizer(new OptimizerSettings(0.01, 0.5, 0.9, 1e-8, 0.0, 1.0), group, manager, Map.of("b", 10.0));
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(a.add(b).sum());
      }
      adam.step(group);
      // The first Adam step moves each parameter by lr * sign(g).
      assertThat((double) a.getFloat(0)).isCloseTo(1 - 0.01, within(1e-6));
      assertThat((double) b.getFloat(0)).isCloseTo(1 - 0.1, within(1e-6));
    }
  }

  @Test
  void aScaleForAnUnknownParameterIsAnError() {
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> group = Map.of("w", manager.create(new float[] {1f}));
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> new AdamOptimizer(OptimizerSettings.paper(), group, manager, Map.of("codebook", 10.0)))
          .hasMessageContaining("'codebook'");
    }
  }
}
