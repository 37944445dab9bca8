package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.ndarray.NDManager;
import dev.ibq.training.nn.Module;
import java.util.Random;

/**
 * One pre-norm Llama block with AdaLN class conditioning (DiT-style modulation):
 *
 * <pre>
 *   shift1, scale1, gate1, shift2, scale2, gate2 = Linear(C, 6C)(SiLU(cond))
 *   h   = x + gate1 * Attention(RmsNorm(x) * (1 + scale1) + shift1)
 *   out = h + gate2 * FeedForward(RmsNorm(h) * (1 + scale2) + shift2)
 * </pre>
 *
 * Shapes: x (B, l, C), cond (B, C) -> (B, l, C).
 *
 * <p>NOTE: the AdaLN projection carries a bias (PyTorch's default nn.Linear, as in DiT); IBQ.md's "no biases"
 * refers to the attention and FFN projections. Its weight is N(0, 0.02) like every non-head weight (IBQ.md), not
 * zero as in DiT.
 */
public final class TransformerBlock extends Module {

  private final RmsNorm attentionNorm;
  private final Attention attention;
  private final RmsNorm ffnNorm;
  private final FeedForward feedForward;
  private final NDArray adaLnWeight; // (6C, C)
  private final NDArray adaLnBias; // (6C)
  private final int layer;

  TransformerBlock(NDManager manager, Random random, ArConfig config, int layer) {
    super(manager);
    int c = config.dim();
    this.attentionNorm = registerChild("attention_norm", new RmsNorm(manager, c, config.normEps()));
    this.attention = registerChild("attention", new Attention(manager, random, config));
    this.ffnNorm = registerChild("ffn_norm", new RmsNorm(manager, c, config.normEps()));
    this.feedForward = registerChild("feed_forward", new FeedForward(manager, random, config));
    this.adaLnWeight = registerParameter("adaLN_modulation.1.weight", normal(random, new Shape(6L * c, c), config.initStd()));
    this.adaLnBias = registerParameter("adaLN_modulation.1.bias", constant(new Shape(6L * c), 0f));
    this.layer = layer;
  }

  /**
   * @param siluCond SiLU(class embedding), (B, C)
   */
  public NDArray forward(
      NDArray x, NDArray siluCond, int start, Rope2d rope, KvCache cache, boolean training) {
    NDList mod = Linear.linear(siluCond, adaLnWeight, adaLnBias).singletonOrThrow().expandDims(1).split(6, 2);
    // 6 x (B, 1, C): shift1, scale1, gate1, shift2, scale2, gate2
    NDArray h =
        x.add(
            mod.get(2)
                .mul(
                    attention.forward(
                        modulate(attentionNorm.forward(x), mod.get(0), mod.get(1)), start, rope, cache, layer,
                        training)));
    return h.add(mod.get(5).mul(feedForward.forward(modulate(ffnNorm.forward(h), mod.get(3), mod.get(4)), training)));
  }

  /** x * (1 + scale) + shift, broadcast over positions. */
  static NDArray modulate(NDArray x, NDArray shift, NDArray scale) {
    return x.mul(scale.add(1f)).add(shift);
  }

  static NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }
}
