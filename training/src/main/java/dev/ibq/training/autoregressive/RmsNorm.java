package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.ibq.training.nn.Module;

/**
 * Root-mean-square layer norm (Zhang and Sennrich 2019), as in Llama: {@code y = x / sqrt(mean(x^2) + eps) * w}
 * over the last axis, with a learnable per-channel weight w (init 1) and no bias.
 *
 * <p>Shapes: x (..., C) -> (..., C).
 */
public final class RmsNorm extends Module {

  private final NDArray weight; // (C)
  private final float eps;

  RmsNorm(NDManager manager, int dim, float eps) {
    super(manager);
    this.weight = registerParameter("weight", constant(new Shape(dim), 1f));
    this.eps = eps;
  }

  public NDArray forward(NDArray x) {
    NDArray meanSquare = x.square().mean(new int[] {-1}, true); // (..., 1)
    // sqrt and div instead of pow(-0.5f): a Java-number exponent is freed before backward (see Scalars)
    return x.div(meanSquare.add(eps).sqrt()).mul(weight);
  }
}
