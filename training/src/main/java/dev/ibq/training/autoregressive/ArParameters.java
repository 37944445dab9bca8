package dev.ibq.training.autoregressive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The named trainable tensors of one AR model, keyed like LlamaGen's PyTorch state dict
 * ({@code layers.0.attention.wqkv.weight}, {@code tok_embeddings.weight}, ...), so a review against the reference
 * or a weight import is a one-to-one mapping.
 *
 * <p>Every tensor is created in this object's manager with gradients attached; the model blocks only hold
 * references. Initial values come from a seeded {@link Random}, so the same seed builds the same model on any
 * engine. Linear weights are stored in PyTorch's (out, in) layout.
 */
public final class ArParameters implements AutoCloseable {

  private final NDManager manager;
  private final Random random;
  private final Map<String, NDArray> tensors = new LinkedHashMap<>();

  public ArParameters(NDManager parent, long seed) {
    this.manager = parent.newSubManager();
    this.random = new Random(seed);
  }

  public NDManager manager() {
    return manager;
  }

  /** A new tensor drawn from N(0, std^2). */
  NDArray normal(String name, Shape shape, float std) {
    float[] values = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextGaussian() * std);
    }
    return register(name, manager.create(values, shape));
  }

  /** A new tensor filled with one value (norm weights 1, biases and the output head 0). */
  NDArray constant(String name, Shape shape, float value) {
    return register(name, manager.full(shape, value, DataType.FLOAT32));
  }

  private NDArray register(String name, NDArray array) {
    if (tensors.containsKey(name)) {
      throw new IllegalStateException("Parameter " + name + " is defined twice; parameter names must be unique.");
    }
    array.setName(name);
    array.setRequiresGradient(true);
    tensors.put(name, array);
    return array;
  }

  /** All tensors in definition order, by name. */
  public Map<String, NDArray> tensors() {
    return Collections.unmodifiableMap(tensors);
  }

  /** Total number of scalar parameters actually allocated. */
  public long count() {
    long n = 0;
    for (NDArray a : tensors.values()) {
      n += a.size();
    }
    return n;
  }

  /**
   * Whether AdamW decays this tensor: every tensor with two or more dimensions (matrices and embedding tables),
   * none of the norm weights or biases, as LlamaGen's optimizer set-up does.
   */
  public static boolean decays(NDArray tensor) {
    return tensor.getShape().dimension() >= 2;
  }

  /** Copies values into the tensor of that name, in place (used when loading a checkpoint). */
  void assign(String name, NDArray values) {
    NDArray target = tensors.get(name);
    if (target == null) {
      throw new IllegalArgumentException(
          "The checkpoint holds a tensor '" + name + "' that this model does not have; the config and the weights do not match.");
    }
    if (!target.getShape().equals(values.getShape())) {
      throw new IllegalArgumentException(
          "Tensor '" + name + "' has shape " + values.getShape() + " in the checkpoint but " + target.getShape()
              + " in the model built from its config.");
    }
    target.muli(0).addi(values); // in place: the model's blocks keep their references
  }

  @Override
  public void close() {
    manager.close();
  }
}
