package dev.ibq.training.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Number constants must survive a Java garbage collection between forward and backward (see {@link Scalars}). Each
 * case runs a forward pass, then collects and refills freed direct memory with NaN, then runs backward; the
 * gradients must equal those of an undisturbed run. With {@code x.mul(0.5f)} the first case read -1e36.
 */
class ScalarConstantsTest {

  /** Collects and hands the freed direct buffers' memory out again, filled with NaN. */
  private static void collectAndReuseFreedMemory() {
    for (int round = 0; round < 3; round++) {
      System.gc();
      List<ByteBuffer> keep = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
        b.putFloat(0, Float.NaN);
        keep.add(b);
      }
    }
  }

  private static float[] gradient(NDManager manager, float[] input, Shape shape, Function<NDArray, NDArray> loss, boolean disturb) {
    try (NDManager scope = manager.newSubManager()) {
      NDArray x = scope.create(input, shape);
      x.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray y = loss.apply(x);
        if (disturb) {
          collectAndReuseFreedMemory();
        }
        gc.backward(y);
      }
      return x.getGradient().toFloatArray();
    }
  }

  private static void assertSameGradients(NDManager manager, Shape shape, Function<NDArray, NDArray> loss) {
    float[] input = new float[(int) shape.size()];
    java.util.Random random = new java.util.Random(4);
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) random.nextGaussian();
    }
    float[] quiet = gradient(manager, input, shape, loss, false);
    float[] disturbed = gradient(manager, input, shape, loss, true);
    for (int i = 0; i < quiet.length; i++) {
      assertThat(Float.isFinite(quiet[i])).isTrue();
      assertThat(disturbed[i]).isCloseTo(quiet[i], within(1e-6f));
    }
  }

  @Test
  void scalarMultiplyAndDivideKeepTheirConstantUntilBackward() {
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] g = gradient(manager, new float[] {1, 2, 3}, new Shape(3), x -> Scalars.mul(x, 0.5).sum(), true);
      assertThat(g).containsExactly(0.5f, 0.5f, 0.5f);
      g = gradient(manager, new float[] {1, 2, 3}, new Shape(3), x -> Scalars.div(x, 4).sum(), true);
      assertThat(g).containsExactly(0.25f, 0.25f, 0.25f);
    }
  }

  @Test
  void lossesAndBlocksWithConstantsGiveTheSameGradientsAfterACollection() {
    Engine.getInstance().setRandomSeed(2);
    try (NDManager manager = NDManager.newBaseManager()) {
      assertSameGradients(manager, new Shape(6, 5), x -> TokenizerLosses.entropyLoss(x, 0.01));
      assertSameGradients(manager, new Shape(8), x -> TokenizerLosses.hingeDiscriminatorLoss(x, x.mul(x)));
      AttnBlock attention = new AttnBlock(manager, 4, 2);
      assertSameGradients(manager, new Shape(1, 4, 2, 2), x -> attention.forward(x).square().sum());
      IndexPropagationQuantizer ibq = new IndexPropagationQuantizer(manager, 8, 4);
      assertSameGradients(manager, new Shape(1, 4, 2, 2), z -> ibq.quantize(z).loss("quant"));
      VectorQuantizer vq = new VectorQuantizer(manager, 8, 4);
      assertSameGradients(manager, new Shape(1, 4, 2, 2), z -> vq.quantize(z).loss("quant"));
    }
  }
}
