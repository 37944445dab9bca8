package dev.ibq.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DiscriminatorAndLossesTest {

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

  @Test
  void patchDiscriminatorHasThePix2PixLayoutAndPatchOutput() {
    PatchDiscriminator d = new PatchDiscriminator(manager, 1);
    assertThat(d.stateDict().keySet()).containsExactly(
        "main.0.weight", "main.0.bias", "main.2.weight", "main.3.weight", "main.3.bias", "main.3.running_mean",
        "main.3.running_var", "main.5.weight", "main.6.weight", "main.6.bias", "main.6.running_mean", "main.6.running_var",
        "main.8.weight", "main.9.weight", "main.9.bias", "main.9.running_mean", "main.9.running_var", "main.11.weight",
        "main.11.bias");
    assertThat(d.stateDict().get("main.8.weight").getShape()).isEqualTo(new Shape(512, 256, 4, 4));
    assertThat(d.parameters()).doesNotContainKey("main.3.running_mean");
    NDArray w = d.stateDict().get("main.5.weight");
    assertThat((double) w.mean().getFloat()).isCloseTo(0, within(0.002));
    assertThat((double) w.sub(w.mean()).square().mean().sqrt().getFloat()).isCloseTo(0.02, within(0.001));

    NDArray images = manager.randomUniform(-1, 1, new Shape(4, 1, 32, 32));
    NDArray logits = d.forward(images, true);
    assertThat(logits.getShape()).isEqualTo(new Shape(4, 1, 2, 2));
    // Training mode moves the running statistics (PyTorch momentum 0.1 from zeros/ones).
    assertThat(d.stateDict().get("main.3.running_mean").abs().sum().getFloat()).isGreaterThan(0f);
    assertThat(d.forward(images, false).getShape()).isEqualTo(new Shape(4, 1, 2, 2));
  }

  @Test
  void hingeLecamAndGeneratorLossesMatchHandValues() {
    NDArray real = manager.create(new float[] {0.5f, 2.0f, -0.5f, 1.0f});
    NDArray fake = manager.create(new float[] {-2.0f, 0.0f, 0.5f, -0.5f});
    // Hinge: 0.5 * (mean relu(1 - real) + mean relu(1 + fake)) = 0.5 * ((0.5+0+1.5+0)/4 + (0+1+1.5+0.5)/4)
    assertThat((double) TokenizerLosses.hingeDiscriminatorLoss(real, fake).getFloat()).isCloseTo(0.625, within(1e-6));

    LecamEma ema = new LecamEma(0.9);
    ema.update(real, fake); // means 0.75 and -0.5 -> EMAs 0.075 and -0.05
    assertThat(ema.realEma()).isCloseTo(0.075, within(1e-9));
    assertThat(ema.fakeEma()).isCloseTo(-0.05, within(1e-9));
    // mean relu(real - (-0.05))^2 + mean relu(0.075 - fake)^2
    double expectedReal = (0.55 * 0.55 + 2.05 * 2.05 + 0 + 1.05 * 1.05) / 4;
    double expectedFake = (2.075 * 2.075 + 0.075 * 0.075 + 0 + 0.575 * 0.575) / 4;
    assertThat((double) TokenizerLosses.lecamRegularizer(real, fake, ema).getFloat())
        .isCloseTo(expectedReal + expectedFake, within(1e-5));

    LecamEma fresh = new LecamEma(0.9);
    NDArray total = TokenizerLosses.discriminatorLoss(real, fake, fresh);
    assertThat((double) total.getFloat()).isCloseTo(0.625 + 0.05 * (expectedReal + expectedFake), within(1e-5));
    assertThat(new LecamEma().decay()).isEqualTo(0.999);

    // Per image: four images of one patch each -> mean_b softplus(-fake_b).
    double perImage = (sp(2.0) + sp(0.0) + sp(-0.5) + sp(0.5)) / 4;
    assertThat((double) TokenizerLosses.generatorAdversarialLoss(fake).getFloat()).isCloseTo(perImage, within(1e-6));
    // IBQ.md's example: fake logits [2, -2] of two images give 1.127, not softplus(mean) = 0.693.
    NDArray two = manager.create(new float[] {2f, -2f}, new Shape(2, 1, 1, 1));
    assertThat((double) TokenizerLosses.generatorAdversarialLoss(two).getFloat()).isCloseTo((sp(-2) + sp(2)) / 2, within(1e-6));
    assertThat((sp(-2) + sp(2)) / 2).isCloseTo(1.127, within(5e-4));
    // Two images of 2x2 patches: the mean is over each image's own patches first.
    NDArray patches = manager.create(new float[] {1f, 3f, -1f, 1f, -4f, 0f, 0f, 0f}, new Shape(2, 1, 2, 2));
    assertThat((double) TokenizerLosses.generatorAdversarialLoss(patches).getFloat())
        .isCloseTo((sp(-1.0) + sp(1.0)) / 2, within(1e-6));
    assertThat((double) TokenizerLosses.softplus(manager.create(-20f)).getFloat()).isCloseTo(Math.log1p(Math.exp(-20)), within(1e-12));
    assertThat((double) TokenizerLosses.softplus(manager.create(40f)).getFloat()).isCloseTo(40, within(1e-5));
    assertThat((double) TokenizerLosses.l1(real, fake).getFloat()).isCloseTo((2.5 + 2 + 1 + 1.5) / 4, within(1e-6));
  }

  @Test
  void perceptualLossIsZeroForIdenticalImagesAndTrainsOnlyTheReconstruction() {
    RandomConvFeatures features = new RandomConvFeatures(manager, 1, 4, 2);
    PerceptualLoss loss = new PerceptualLoss(features);
    NDArray target = manager.randomUniform(-1, 1, new Shape(2, 1, 8, 8));
    NDArray reconstruction = manager.randomUniform(-1, 1, new Shape(2, 1, 8, 8));
    assertThat(loss.compute(target, target).getFloat()).isEqualTo(0f);
    reconstruction.setRequiresGradient(true);
    NDArray value;
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      value = loss.compute(reconstruction, target);
      collector.backward(value);
    }
    assertThat(value.getFloat()).isGreaterThan(0f);
    assertThat(reconstruction.getGradient().abs().sum().getFloat()).isGreaterThan(0f);
    features.stateDict().values().forEach(p -> assertThat(p.hasGradient()).isFalse());
  }

  @Test
  void perceptualLossNormalisesChannelsAsLpips() {
    // Identity features: one map (B=1, C=2, 1x2). Unit channel vectors, squared distance summed over channels,
    // averaged over the two positions.
    PerceptualLoss loss = new PerceptualLoss(images -> new ai.djl.ndarray.NDList(images));
    NDArray a = manager.create(new float[] {3, 1, 4, 0}, new Shape(1, 2, 1, 2)); // positions (3,4) and (1,0)
    NDArray b = manager.create(new float[] {0, 0, 2, 5}, new Shape(1, 2, 1, 2)); // positions (0,2) and (0,5)
    // (0.6,0.8) vs (0,1): 0.36 + 0.04 = 0.4; (1,0) vs (0,1): 2
    assertThat((double) loss.compute(a, b).getFloat()).isCloseTo((0.4 + 2.0) / 2, within(1e-6));
    // Scaling features by a positive constant per position changes nothing.
    assertThat((double) loss.compute(a.mul(7f), b).getFloat()).isCloseTo(1.2, within(1e-6));
  }

  /** log(1 + e^x). */
  private static double sp(double x) {
    return Math.log1p(Math.exp(x));
  }
}
