package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;

/**
 * Number constants for arithmetic on tensors that take part in a backward pass.
 *
 * <p>Why: in DJL's PyTorch engine {@code x.mul(0.5f)} wraps the number in a temporary 0-dim tensor whose memory is a
 * Java direct buffer, uses it and closes it at once. Autograd keeps a reference to that tensor for the backward
 * pass of {@code mul}, {@code div} and {@code pow}, but the buffer is now unreachable from Java: a garbage collection
 * between forward and backward frees it and the backward pass reads whatever reuses the memory (reproduced by
 * {@code ScalarConstantsTest}: gradients of -1e36 instead of 0.5). A constant made here is attached to the manager
 * of the tensor it multiplies (the step's or the inference call's scope), so it lives until that scope closes,
 * after the backward pass. ({@code add}/{@code sub} with a number are safe: their backward does not read it.)
 */
public final class Scalars {

  private Scalars() {}

  /** {@code value} as a 0-dim float32 tensor owned by the manager of {@code like}. */
  public static NDArray like(NDArray like, double value) {
    return like.getManager().create((float) value);
  }

  /** {@code x * value}, safe for the backward pass. */
  public static NDArray mul(NDArray x, double value) {
    return x.mul(like(x, value));
  }

  /** {@code x / value}, safe for the backward pass. */
  public static NDArray div(NDArray x, double value) {
    return x.div(like(x, value));
  }
}
