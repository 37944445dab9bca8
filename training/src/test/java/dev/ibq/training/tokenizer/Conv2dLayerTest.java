package dev.ibq.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import dev.ibq.training.optim.AdamW;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The GEMM form of {@link Conv2dLayer} against libtorch's own convolution: values and all three gradients. */
class Conv2dLayerTest {

  private NDManager manager;

  @BeforeEach
  void setUp() {
    manager = NDManager.newBaseManager();
    manager.getEngine().setRandomSeed(11);
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  @Test
  void theGemmFormIsTakenOnlyForStrideOneConvolutionsOntoTinyMapsWithManyChannels() {
    Conv2dLayer discriminator = Conv2dLayer.normalInit(manager, 256, 512, 4, 1, 1, false, 0.02);
    assertThat(discriminator.usesGemm(3, 3)).isTrue(); // the PatchGAN's 4 x 4 -> 3 x 3 layer at 32 x 32 images
    assertThat(discriminator.usesGemm(5, 5)).isFalse(); // larger images: oneDNN's direct kernels
    assertThat(Conv2dLayer.normalInit(manager, 512, 1, 4, 1, 1, true, 0.02).usesGemm(2, 2)).isFalse(); // one output channel
    assertThat(Conv2dLayer.normalInit(manager, 128, 256, 4, 2, 1, false, 0.02).usesGemm(2, 2)).isFalse(); // strided
    assertThat(new Conv2dLayer(manager, 64, 128, 3, 1, 1).usesGemm(3, 3)).isFalse(); // 576 taps
    assertThat(Conv2dLayer.normalInit(manager, 128, 256, 4, 1, 1, false, 0.02).usesGemm(3, 3)).isFalse(); // 0.87x there
  }

  @Test
  void gemmFormMatchesTheDirectConvolutionWithPadding() {
    check(Conv2dLayer.normalInit(manager, 256, 512, 4, 1, 1, true, 0.02), new Shape(3, 256, 4, 4));
  }

  @Test
  void gemmFormMatchesTheDirectConvolutionWithoutPaddingOrBias() {
    check(Conv2dLayer.normalInit(manager, 512, 256, 3, 1, 0, false, 0.02), new Shape(2, 512, 5, 4));
  }

  private void check(Conv2dLayer layer, Shape inputShape) {
    NDArray x = manager.randomNormal(inputShape);
    float[][] gemm = run(layer, x, false);
    float[][] direct = run(layer, x, true);
    String[] what = {"output", "input gradient", "weight gradient", "bias gradient"};
    for (int i = 0; i < gemm.length; i++) {
      if (gemm[i] == null) {
        assertThat(direct[i]).isNull();
        continue;
      }
      assertThat(gemm[i]).as(what[i]).hasSameSizeAs(direct[i]);
      double scale = 0;
      double worst = 0;
      for (int j = 0; j < gemm[i].length; j++) {
        scale = Math.max(scale, Math.abs(direct[i][j]));
        worst = Math.max(worst, Math.abs(gemm[i][j] - direct[i][j]));
      }
      assertThat(scale).as(what[i]).isGreaterThan(0);
      assertThat(worst / scale).as(what[i] + ": largest difference over largest value").isLessThan(1e-5);
    }
  }

  /** Output, then the gradients of input, weight and bias of sum(y * t) for a fixed t. */
  private float[][] run(Conv2dLayer layer, NDArray x0, boolean direct) {
    try (NDManager scope = manager.newSubManager()) {
      NDArray x = x0.duplicate();
      x.attach(scope);
      x.setRequiresGradient(true);
      NDArray weight = layer.weight();
      NDArray bias = layer.stateDict().get("bias");
      for (NDArray p : layer.parameters().values()) {
        p.setRequiresGradient(true);
      }
      float[][] out = new float[4][];
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray y = direct
            ? Conv2d.conv2d(x, weight, bias, new Shape(layer.stride(), layer.stride()), new Shape(layer.padding(), layer.padding()))
                .singletonOrThrow()
            : layer.forward(x);
        assertThat(layer.usesGemm(y.getShape().get(2), y.getShape().get(3))).isTrue();
        NDArray t = manager.arange((float) y.getShape().size()).reshape(y.getShape()).mul(0.001f).sin();
        collector.backward(y.mul(t).sum());
        out[0] = y.toFloatArray();
      }
      out[1] = x.getGradient().toFloatArray();
      out[2] = weight.getGradient().toFloatArray();
      out[3] = bias == null ? null : bias.getGradient().toFloatArray();
      AdamW.zeroGradients(layer.parameters());
      return out;
    }
  }
}
