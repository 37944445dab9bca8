package dev.ibq.training.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fused update against PyTorch's AdamW formula computed by hand in double precision. */
class AdamWTest {

  @Test
  void threeStepsMatchPyTorchsAdamWWithDecoupledDecayAndPerParameterScales() {
    double lr = 0.05, b1 = 0.5, b2 = 0.9, eps = 1e-3, wd = 0.1; // a large eps makes its placement visible
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray a = manager.create(new float[] {1f, -2f});
      NDArray b = manager.create(new float[] {0.5f});
      Map<String, NDArray> group = new LinkedHashMap<>();
      group.put("a", a);
      group.put("b", b);
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      AdamW opt = new AdamW(group, manager, b1, b2, eps, wd, Map.of("b", 3.0), key -> key.equals("a"));
      double[] w = {1, -2, 0.5};
      double[] c = {3, 1, 2};
      double[] m = new double[3];
      double[] v = new double[3];
      for (int t = 1; t <= 3; t++) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          // loss = sum(c * w^2): g = 2 c w
          NDArray loss = a.square().mul(manager.create(new float[] {3f, 1f})).sum().add(b.square().mul(manager.create(2f)).sum());
          gc.backward(loss);
        }
        opt.step(group, lr);
        for (int i = 0; i < 3; i++) {
          double g = 2 * c[i] * w[i];
          double rate = i < 2 ? lr : 3 * lr;
          if (i < 2) {
            w[i] *= 1 - rate * wd;
          }
          m[i] = b1 * m[i] + (1 - b1) * g;
          v[i] = b2 * v[i] + (1 - b2) * g * g;
          double mHat = m[i] / (1 - Math.pow(b1, t));
          double vHat = v[i] / (1 - Math.pow(b2, t));
          w[i] -= rate * mHat / (Math.sqrt(vHat) + eps);
        }
        float[] actual = {a.getFloat(0), a.getFloat(1), b.getFloat(0)};
        for (int i = 0; i < 3; i++) {
          assertThat((double) actual[i]).as("step %d, weight %d", t, i).isCloseTo(w[i], within(2e-6));
        }
        assertThat(a.getGradient().abs().sum().getFloat()).as("gradients are zeroed").isZero();
      }
      assertThat(opt.updates()).isEqualTo(3);
      AdamW restored = new AdamW(group, manager, b1, b2, eps, wd, Map.of("b", 3.0), key -> key.equals("a"));
      restored.restore(opt.state(), opt.updates());
      assertThat(restored.state().get("v.a").toFloatArray()).containsExactly(opt.state().get("v.a").toFloatArray());
    }
  }

  @Test
  void globalNormClippingScalesAllGradientsTogetherAndZeroingClearsNaN() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray a = manager.create(new float[] {1f});
      NDArray b = manager.create(new float[] {1f});
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      Map<String, NDArray> group = Map.of("a", a, "b", b);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(a.mul(manager.create(3f)).add(b.mul(manager.create(4f))).sum()); // g = (3, 4), norm 5
      }
      assertThat(AdamW.clipGradientNorm(group, 1.0)).isCloseTo(5.0, within(1e-6));
      assertThat((double) a.getGradient().getFloat()).isCloseTo(0.6, within(1e-5));
      assertThat((double) b.getGradient().getFloat()).isCloseTo(0.8, within(1e-5));
      a.getGradient().set(new float[] {Float.NaN});
      AdamW.zeroGradients(group);
      assertThat(a.getGradient().getFloat()).isZero();
    }
  }

  @Test
  void aScaleForAnUnknownParameterIsAnError() {
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> group = Map.of("w", manager.create(new float[] {1f}));
      assertThatThrownBy(() -> AdamW.adam(group, manager, 0.5, 0.9, 1e-8, Map.of("codebook", 10.0)))
          .hasMessageContaining("'codebook'");
    }
  }
}
