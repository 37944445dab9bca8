package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A parameterless container that only contributes a key segment, like PyTorch's {@code nn.Module()} /
 * {@code nn.ModuleList} / {@code nn.Embedding} used by the reference for {@code down}, {@code down.0}, {@code down.0.block}, {@code mid}, {@code quantize.embedding}.
 */
final class ModuleGroup extends TokenizerModule {

  ModuleGroup(NDManager manager) {
    super(manager);
  }

  <M extends TokenizerModule> M add(String name, M child) {
    return registerChild(name, child);
  }

  NDArray addParameter(String name, NDArray value) {
    return registerParameter(name, value);
  }

  ModuleGroup group(String name) {
    return registerChild(name, new ModuleGroup(manager()));
  }
}
