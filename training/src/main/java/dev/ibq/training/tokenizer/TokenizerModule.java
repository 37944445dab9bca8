package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import dev.ibq.training.nn.Module;

/**
 * A tokenizer block: a {@link Module} (the parameter tree both stages share) with the tokenizer's helpers.
 */
public abstract class TokenizerModule extends Module {

  protected TokenizerModule(NDManager manager) {
    super(manager);
  }

  /** x * sigmoid(x), the reference's {@code nonlinearity}. */
  static NDArray swish(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }
}
