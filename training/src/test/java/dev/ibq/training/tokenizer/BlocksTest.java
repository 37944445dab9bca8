package dev.ibq.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BlocksTest {

  private NDManager manager;

  @BeforeEach
  void setUp() {
    Engine.getInstance().setRandomSeed(3);
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  @Test
  void fusedGroupNormHasTheValuesAndGradientsOfTheOpByOpFormula() {
    // The fused layer_norm path against the 9-op formula it replaced, on input, weight and bias gradients.
    int b = 3, c = 16, h = 5, w = 4, groups = 4;
    NDArray x = manager.randomNormal(1f, 2f, new Shape(b, c, h, w), ai.djl.ndarray.types.DataType.FLOAT32);
    NDArray upstream = manager.randomNormal(new Shape(b, c, h, w));
    GroupNorm norm = new GroupNorm(manager, groups, c);
    NDArray weight = norm.stateDict().get("weight");
    NDArray bias = norm.stateDict().get("bias");
    TokenizerModule.copyInto(manager.randomNormal(1f, 0.5f, new Shape(c), ai.djl.ndarray.types.DataType.FLOAT32), weight);
    TokenizerModule.copyInto(manager.randomNormal(new Shape(c)), bias);
    // Separate copies for the reference: DJL accumulates gradients across backward passes.
    NDArray x2 = x.duplicate();
    NDArray weight2 = weight.duplicate();
    NDArray bias2 = bias.duplicate();
    float[][] fused = gradients(x, weight, bias, upstream, () -> norm.forward(x));
    float[][] reference = gradients(x2, weight2, bias2, upstream, () -> {
      NDArray grouped = x2.reshape(b, groups, -1);
      NDArray centred = grouped.sub(grouped.mean(new int[] {2}, true));
      NDArray variance = centred.square().mean(new int[] {2}, true);
      NDArray normalised = centred.div(variance.add(1e-6f).sqrt()).reshape(x2.getShape());
      return normalised.mul(weight2.reshape(1, c, 1, 1)).add(bias2.reshape(1, c, 1, 1));
    });
    String[] names = {"output", "dx", "dweight", "dbias"};
    for (int i = 0; i < names.length; i++) {
      for (int j = 0; j < fused[i].length; j++) {
        assertThat((double) fused[i][j]).as("%s[%d]", names[i], j).isCloseTo(reference[i][j], within(2e-5));
      }
    }
  }

  private static float[][] gradients(
      NDArray x, NDArray weight, NDArray bias, NDArray upstream, java.util.function.Supplier<NDArray> forward) {
    for (NDArray a : new NDArray[] {x, weight, bias}) {
      a.setRequiresGradient(true);
    }
    float[] out;
    try (ai.djl.training.GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray y = forward.get();
      out = y.toFloatArray();
      collector.backward(y.mul(upstream).sum());
    }
    return new float[][] {out, x.getGradient().toFloatArray(), weight.getGradient().toFloatArray(), bias.getGradient().toFloatArray()};
  }

  @Test
  void groupNormMatchesAPlainJavaReference() {
    int b = 2, c = 6, h = 3, w = 2, groups = 3;
    NDArray x = manager.randomNormal(2f, 3f, new Shape(b, c, h, w), ai.djl.ndarray.types.DataType.FLOAT32);
    GroupNorm norm = new GroupNorm(manager, groups, c);
    float[] gamma = {0.5f, 1f, 1.5f, -1f, 2f, 0.25f};
    float[] beta = {0f, 0.1f, -0.2f, 0.3f, 0f, 1f};
    TokenizerModule.copyInto(manager.create(gamma), norm.stateDict().get("weight"));
    TokenizerModule.copyInto(manager.create(beta), norm.stateDict().get("bias"));
    float[] in = x.toFloatArray();
    float[] out = norm.forward(x).toFloatArray();
    int perGroup = c / groups * h * w;
    for (int n = 0; n < b; n++) {
      for (int g = 0; g < groups; g++) {
        int start = (n * c + g * (c / groups)) * h * w;
        double mean = 0;
        for (int i = 0; i < perGroup; i++) {
          mean += in[start + i];
        }
        mean /= perGroup;
        double var = 0;
        for (int i = 0; i < perGroup; i++) {
          var += (in[start + i] - mean) * (in[start + i] - mean);
        }
        var /= perGroup;
        for (int i = 0; i < perGroup; i++) {
          int channel = g * (c / groups) + i / (h * w);
          double expected = (in[start + i] - mean) / Math.sqrt(var + 1e-6) * gamma[channel] + beta[channel];
          assertThat((double) out[start + i]).isCloseTo(expected, within(1e-5));
        }
      }
    }
  }

  @Test
  void groupNormRejectsChannelCountsThatAreNotWholeGroups() {
    assertThatThrownBy(() -> new GroupNorm(manager, 32, 48)).hasMessageContaining("48 channels and 32 groups");
  }

  @Test
  void downsamplePadsRightAndBottomThenHalves() {
    Downsample down = new Downsample(manager, 1);
    NDArray weight = down.stateDict().get("conv.weight"); // (1, 1, 3, 3)
    // A kernel that reads only the bottom-right tap: output(i, j) = padded(2i + 2, 2j + 2).
    TokenizerModule.copyInto(manager.create(new float[] {0, 0, 0, 0, 0, 0, 0, 0, 1}, new Shape(1, 1, 3, 3)), weight);
    TokenizerModule.copyInto(manager.zeros(new Shape(1)), down.stateDict().get("conv.bias"));
    NDArray x = manager.arange(1f, 17f).reshape(1, 1, 4, 4);
    NDArray y = down.forward(x);
    assertThat(y.getShape()).isEqualTo(new Shape(1, 1, 2, 2));
    // padded(2, 2) = x(2, 2) = 11; padded(2, 4) is the zero column on the right; row 4 is the zero row at the bottom.
    assertThat(y.toFloatArray()).containsExactly(11f, 0f, 0f, 0f);
    assertThat(new Downsample(manager, 8).forward(manager.ones(new Shape(2, 8, 8, 6))).getShape())
        .isEqualTo(new Shape(2, 8, 4, 3));
  }

  @Test
  void upsampleRepeatsEachPixelTwiceOnBothAxes() {
    Upsample up = identityUpsample();
    NDArray y = up.forward(manager.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 2, 2)));
    assertThat(y.getShape()).isEqualTo(new Shape(1, 1, 4, 4));
    assertThat(y.toFloatArray()).containsExactly(1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4);
  }

  @Test
  void upsampleGradientSumsEachTwoByTwoBlock() {
    Upsample up = identityUpsample();
    NDArray x = manager.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 2, 2));
    x.setRequiresGradient(true);
    NDArray t = manager.arange(16f).reshape(1, 1, 4, 4); // dL/dy
    try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
      c.backward(up.forward(x).mul(t).sum());
    }
    // x[0, 0] feeds y[0:2, 0:2] = t 0, 1, 4, 5; and so on.
    assertThat(x.getGradient().toFloatArray()).containsExactly(10f, 18f, 42f, 50f);
  }

  /** A 1-channel Upsample whose convolution is the identity (only the centre tap). */
  private Upsample identityUpsample() {
    Upsample up = new Upsample(manager, 1);
    TokenizerModule.copyInto(manager.create(new float[] {0, 0, 0, 0, 1, 0, 0, 0, 0}, new Shape(1, 1, 3, 3)),
        up.stateDict().get("conv.weight"));
    TokenizerModule.copyInto(manager.zeros(new Shape(1)), up.stateDict().get("conv.bias"));
    return up;
  }

  @Test
  void resnetAndAttentionBlocksKeepOrChangeChannelsAsConfigured() {
    NDArray x = manager.randomNormal(new Shape(2, 8, 4, 4));
    ResnetBlock same = new ResnetBlock(manager, 8, 8, 4, 0.0);
    ResnetBlock wider = new ResnetBlock(manager, 8, 16, 4, 0.1);
    assertThat(same.stateDict()).doesNotContainKey("nin_shortcut.weight");
    assertThat(wider.stateDict().get("nin_shortcut.weight").getShape()).isEqualTo(new Shape(16, 8, 1, 1));
    assertThat(same.forward(x, false).getShape()).isEqualTo(new Shape(2, 8, 4, 4));
    assertThat(wider.forward(x, true).getShape()).isEqualTo(new Shape(2, 16, 4, 4));
    AttnBlock attn = new AttnBlock(manager, 8, 4);
    assertThat(attn.stateDictKeys()).containsExactly(
        "norm.weight", "norm.bias", "q.weight", "q.bias", "k.weight", "k.bias", "v.weight", "v.bias", "proj_out.weight",
        "proj_out.bias");
    assertThat(attn.forward(x).getShape()).isEqualTo(new Shape(2, 8, 4, 4));
  }

  @Test
  void attentionWithZeroProjectionIsTheIdentityAndOtherwiseMixesPositions() {
    AttnBlock attn = new AttnBlock(manager, 4, 2);
    NDArray x = manager.randomNormal(new Shape(1, 4, 3, 3));
    TokenizerModule.copyInto(manager.zeros(new Shape(4, 4, 1, 1)), attn.stateDict().get("proj_out.weight"));
    TokenizerModule.copyInto(manager.zeros(new Shape(4)), attn.stateDict().get("proj_out.bias"));
    assertThat(attn.forward(x).toFloatArray()).containsExactly(x.toFloatArray());
  }
}
