package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.ndarray.NDManager;
import dev.ibq.training.nn.Module;
import java.util.Random;

/**
 * SwiGLU feed-forward (Shazeer 2020) as in Llama: {@code w2(silu(w1 x) * w3 x)}, no biases, hidden width F =
 * 2/3 * 4C rounded up to a multiple of {@link ArConfig#ffnMultipleOf()}, dropout on the output.
 *
 * <p>Shapes: x (B, L, C) -> (B, L, C); w1, w3 (F, C); w2 (C, F).
 */
public final class FeedForward extends Module {

  private final NDArray w1;
  private final NDArray w2;
  private final NDArray w3;
  private final float dropout;

  FeedForward(NDManager manager, Random random, ArConfig config) {
    super(manager);
    int c = config.dim();
    int f = config.ffnHidden();
    this.w1 = registerParameter("w1.weight", normal(random, new Shape(f, c), config.initStd()));
    this.w3 = registerParameter("w3.weight", normal(random, new Shape(f, c), config.initStd()));
    this.w2 = registerParameter("w2.weight", normal(random, new Shape(c, f), config.initStd()));
    this.dropout = config.dropout();
  }

  public NDArray forward(NDArray x, boolean training) {
    NDArray gate = Linear.linear(x, w1).singletonOrThrow(); // (B, L, F)
    NDArray up = Linear.linear(x, w3).singletonOrThrow(); // (B, L, F)
    NDArray hidden = gate.mul(Activation.sigmoid(gate)).mul(up); // silu(w1 x) * w3 x
    NDArray out = Linear.linear(hidden, w2).singletonOrThrow(); // (B, L, C)
    return training && dropout > 0 ? Dropout.dropout(out, dropout, true).singletonOrThrow() : out;
  }
}
