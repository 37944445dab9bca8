package dev.ibq.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.ibq.training.optim.AdamW;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The training step's fused formulations against the plain autograd ones they replace: same values, same
 * gradients (tolerances below are float32 rounding of sums over K).
 */
class FusedStepTest {

  private NDManager manager;

  @BeforeEach
  void setUp() {
    Engine.getInstance().setRandomSeed(5);
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  /** The entropy loss as autograd computes it from its definition (the formulation before the fused one). */
  private static NDArray autogradEntropyLoss(NDArray logits, double temperature) {
    NDArray logQ = Scalars.div(logits, temperature).logSoftmax(1);
    NDArray q = logQ.exp();
    NDArray sampleEntropy = q.mul(logQ).sum(new int[] {1}).mean().neg();
    NDArray meanQ = q.mean(new int[] {0});
    NDArray batchEntropy = meanQ.mul(meanQ.add((float) TokenizerLosses.ENTROPY_EPSILON).log()).sum().neg();
    return sampleEntropy.sub(batchEntropy);
  }

  private record ValueAndGradient(double value, float[] gradient) {}

  private ValueAndGradient evaluate(NDArray input, Function<NDArray, NDArray> loss, double upstream) {
    NDArray x = input.duplicate();
    x.setRequiresGradient(true);
    double value;
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray l = loss.apply(x);
      value = l.getFloat();
      collector.backward(Scalars.mul(l, upstream));
    }
    return new ValueAndGradient(value, x.getGradient().toFloatArray());
  }

  /**
   * Logits with the spread a trained IBQ codebook gives (inner products of tens): at temperature 0.01 most q are
   * far below float32's normal range, which is where the fused loss raises them to 1.2e-38.
   */
  @ParameterizedTest(name = "N={0} K={1} T={2} logit scale {3}")
  @CsvSource({"64, 512, 0.01, 0.05", "64, 512, 0.01, 10", "48, 1024, 1.0, 3", "200, 64, 0.01, 0.5", "2, 16, 0.01, 1"})
  void entropyLossHasTheAutogradValueAndGradient(int n, int k, double temperature, double scale) {
    NDArray logits = manager.randomNormal(0f, (float) scale, new Shape(n, k), ai.djl.ndarray.types.DataType.FLOAT32);
    ValueAndGradient fused = evaluate(logits, l -> TokenizerLosses.entropyLoss(l, temperature), 0.05);
    ValueAndGradient plain = evaluate(logits, l -> autogradEntropyLoss(l, temperature), 0.05);

    assertThat(fused.value()).isCloseTo(plain.value(), within(1e-5 * Math.max(1, Math.abs(plain.value()))));
    float maxAbs = 0;
    for (float g : plain.gradient()) {
      maxAbs = Math.max(maxAbs, Math.abs(g));
    }
    assertThat(maxAbs).as("the case must have a gradient to compare").isGreaterThan(0f);
    // Both subtract terms of size upstream / (N T) times log-probabilities of a few units, which cancel where q is
    // one-hot: float32 rounding of those terms.
    float tolerance = (float) Math.max(2e-5 * maxAbs, 1e-6 * 0.05 / (n * temperature));
    for (int i = 0; i < plain.gradient().length; i++) {
      assertThat(fused.gradient()[i]).as("gradient %d", i).isCloseTo(plain.gradient()[i], within(tolerance));
    }
  }

  @Test
  void entropyLossLeavesItsLogitsUntouched() {
    NDArray logits = manager.randomNormal(new Shape(8, 32));
    float[] before = logits.toFloatArray();
    TokenizerLosses.entropyLoss(logits, 0.01);
    assertThat(logits.toFloatArray()).containsExactly(before);
  }

  @Test
  void generatorForwardOfTheDiscriminatorGivesTheImagesTheirGradientAndTheDiscriminatorNone() {
    PatchDiscriminator d = new PatchDiscriminator(manager, 1, 8, 2);
    NDArray images = manager.randomUniform(-1, 1, new Shape(2, 1, 32, 32));

    // BatchNorm updates its running statistics on each forward: both runs start from the same state.
    PatchDiscriminator twin = new PatchDiscriminator(manager, 1, 8, 2);
    twin.parameters().forEach((key, p) -> p.set(d.parameters().get(key).toFloatArray()));

    NDArray x1 = images.duplicate();
    x1.setRequiresGradient(true);
    float[] logitsPlain;
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray logits = d.forward(x1, true);
      logitsPlain = logits.toFloatArray();
      collector.backward(logits.square().mean());
    }
    assertThat(AdamW.gradientOf(d.parameters().values().iterator().next()).abs().sum().getFloat())
        .as("the plain forward gives D's weights a gradient")
        .isGreaterThan(0f);

    NDArray x2 = images.duplicate();
    x2.setRequiresGradient(true);
    float[] logitsGenerator;
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray logits = twin.forwardForGenerator(x2);
      logitsGenerator = logits.toFloatArray();
      collector.backward(logits.square().mean());
    }
    assertThat(logitsGenerator).containsExactly(logitsPlain);
    assertThat(x2.getGradient().toFloatArray()).containsExactly(x1.getGradient().toFloatArray());
    twin.parameters().forEach((key, p) -> {
      assertThat(p.hasGradient()).as("%s requires a gradient again", key).isTrue();
      NDArray g = AdamW.gradientOf(p);
      if (g != null) {
        assertThat(g.abs().sum().getFloat()).as("gradient of %s", key).isEqualTo(0f);
      }
    });
  }
}
