package dev.ibq.training.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A named tree of parameters, the DJL counterpart of PyTorch's {@code nn.Module} as far as this project
 * needs it, shared by both training stages: every block registers its tensors and children under the names the
 * reference implementation uses (taming VQGAN / SEED-Voken IBQ for the tokenizer, LlamaGen's GPT for the AR model),
 * so {@link #stateDict()} yields the reference checkpoint keys one to one
 * ({@code encoder.down.0.block.1.norm1.weight}, {@code layers.0.attention.wqkv.weight}). A name may itself hold
 * dots where the reference has a parameterless container or a bare {@code nn.Linear} ({@code wqkv.weight}).
 *
 * <p>NOTE: the blocks do not extend DJL's {@code AbstractBlock}: DJL prefixes child names with their
 * position ({@code 01conv_in}), and the GAN training loop needs explicit parameter groups (generator and
 * discriminator, each with its own Adam) rather than DJL's single-model {@code Trainer}. Parameters are plain
 * {@link NDArray}s with {@code requiresGradient}; train them with a DJL {@code GradientCollector} and
 * {@code Optimizer.update(key, parameter, parameter.getGradient())}.
 *
 * <p>Memory: parameters live in the manager given at construction. Every forward method keeps its
 * intermediate arrays on the manager of its input (see {@link #onManagerOf}), so a training step run on a
 * per-step sub-manager frees everything when that manager closes.
 */
public abstract class Module {

  private final NDManager manager;
  private final LinkedHashMap<String, NDArray> parameters = new LinkedHashMap<>();
  private final LinkedHashMap<String, NDArray> buffers = new LinkedHashMap<>();
  private final LinkedHashMap<String, Module> children = new LinkedHashMap<>();

  protected Module(NDManager manager) {
    this.manager = manager;
  }

  /** The manager that owns this module's parameters. */
  public NDManager manager() {
    return manager;
  }

  /** Registers a trainable tensor (gradient required) under {@code name}. */
  protected final NDArray registerParameter(String name, NDArray value) {
    checkNewName(name);
    value.setRequiresGradient(true);
    parameters.put(name, value);
    return value;
  }

  /** Registers a non-trainable tensor (for example BatchNorm running statistics) under {@code name}. */
  protected final NDArray registerBuffer(String name, NDArray value) {
    checkNewName(name);
    buffers.put(name, value);
    return value;
  }

  /** Registers a child module under {@code name}; its keys appear as {@code name.<child key>}. */
  protected final <M extends Module> M registerChild(String name, M child) {
    checkNewName(name);
    children.put(name, child);
    return child;
  }

  private void checkNewName(String name) {
    if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
      throw new IllegalStateException(
          "The name '" + name + "' is registered twice in " + getClass().getSimpleName() + "; names must be unique.");
    }
  }

  /**
   * Every tensor of this module and its children, parameters and buffers, in registration order, under the
   * reference checkpoint keys. The arrays are the live tensors, not copies.
   */
  public LinkedHashMap<String, NDArray> stateDict() {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    collect("", out, true);
    return out;
  }

  /** The trainable tensors only (what an optimiser updates), under the same keys as {@link #stateDict()}. */
  public LinkedHashMap<String, NDArray> parameters() {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    collect("", out, false);
    return out;
  }

  private void collect(String prefix, Map<String, NDArray> out, boolean withBuffers) {
    parameters.forEach((name, value) -> out.put(prefix + name, value));
    if (withBuffers) {
      buffers.forEach((name, value) -> out.put(prefix + name, value));
    }
    children.forEach((name, child) -> child.collect(prefix + name + ".", out, withBuffers));
  }

  /**
   * Sets the gradient of every trainable tensor to zero. PyTorch accumulates gradients across backward passes
   * (DJL's {@code GradientCollector} does not reset them per step), so call this before each backward of this
   * module's loss, for example on the discriminator before its step, since the generator's adversarial loss
   * also backpropagates into the discriminator.
   *
   * <p>NOTE: every {@code NDArray.getGradient()} returns a new handle on the parameter's manager; close it after
   * use (as done here) or the model's manager keeps one handle per call.
   */
  public void zeroGradients() {
    for (NDArray p : parameters().values()) {
      if (p.hasGradient()) {
        try (NDArray g = p.getGradient()) {
          g.subi(g);
        }
      }
    }
  }

  /** The number of scalar trainable parameters. */
  public long parameterCount() {
    long count = 0;
    for (NDArray p : parameters().values()) {
      count += p.getShape().size();
    }
    return count;
  }

  /**
   * Copies {@code state} into this module's tensors in place (the arrays returned by {@link #stateDict()}
   * stay valid). Strict: every key must be present, no extra key is allowed, and shapes must match.
   *
   * @throws IllegalArgumentException naming the missing, unexpected or mis-shaped keys
   */
  public void loadStateDict(Map<String, NDArray> state) {
    LinkedHashMap<String, NDArray> own = stateDict();
    TreeSet<String> missing = new TreeSet<>(own.keySet());
    missing.removeAll(state.keySet());
    TreeSet<String> unexpected = new TreeSet<>(state.keySet());
    unexpected.removeAll(own.keySet());
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      throw new IllegalArgumentException(
          "The state dict does not match " + getClass().getSimpleName() + ": missing keys " + abbreviate(missing)
              + ", unexpected keys " + abbreviate(unexpected)
              + "; expected exactly the keys of stateDict() (was the model built from the same architecture?).");
    }
    List<String> misShaped = new ArrayList<>();
    for (Map.Entry<String, NDArray> e : own.entrySet()) {
      Shape expected = e.getValue().getShape();
      Shape actual = state.get(e.getKey()).getShape();
      if (!expected.equals(actual)) {
        misShaped.add(e.getKey() + " is " + actual + " but the model expects " + expected);
      }
    }
    if (!misShaped.isEmpty()) {
      throw new IllegalArgumentException("The state dict has tensors of the wrong shape: " + String.join("; ", misShaped) + ".");
    }
    for (Map.Entry<String, NDArray> e : own.entrySet()) {
      copyInto(state.get(e.getKey()), e.getValue());
    }
  }

  /** Copies the values of {@code source} into {@code target} in place, converting type and device. */
  public static void copyInto(NDArray source, NDArray target) {
    NDArray converted = source.getDataType() == target.getDataType() ? source : source.toType(target.getDataType(), false);
    target.set(converted.toByteBuffer());
    if (converted != source) {
      converted.close();
    }
  }

  private static String abbreviate(TreeSet<String> keys) {
    if (keys.size() <= 8) {
      return keys.toString();
    }
    List<String> first = new ArrayList<>(keys).subList(0, 8);
    return first + " and " + (keys.size() - 8) + " more";
  }

  /** Keys of {@link #stateDict()} as an unmodifiable list (convenient for logs and tests). */
  public List<String> stateDictKeys() {
    return Collections.unmodifiableList(new ArrayList<>(stateDict().keySet()));
  }

  /**
   * Moves {@code derived}, an array computed from a parameter first (for example {@code gamma.reshape(...)}),
   * onto the manager of {@code like}, so it is freed with the step's intermediates rather than kept alive by
   * the model's manager.
   */
  public static NDArray onManagerOf(NDArray like, NDArray derived) {
    if (derived.getManager() != like.getManager()) {
      derived.attach(like.getManager());
    }
    return derived;
  }

  /**
   * A new tensor drawn from N(0, std^2) with a seeded Java {@link java.util.Random}, so the same seed builds the same
   * weights on any engine and device (the AR model's init).
   */
  protected final NDArray normal(java.util.Random random, Shape shape, double std) {
    float[] values = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextGaussian() * std);
    }
    return manager.create(values, shape);
  }

  /** A new tensor filled with one value (norm weights 1, biases 0). */
  protected final NDArray constant(Shape shape, float value) {
    return manager.full(shape, value, DataType.FLOAT32);
  }

  /** PyTorch's default {@code nn.Conv2d} / {@code nn.Linear} init: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
  protected final NDArray uniformFanIn(Shape shape, long fanIn) {
    float bound = (float) (1.0 / Math.sqrt(fanIn));
    return manager.randomUniform(-bound, bound, shape, DataType.FLOAT32);
  }

  /** A parameterless container that only contributes a key segment ({@code layers}, {@code layers.0}). */
  public static final class Group extends Module {
    public Group(NDManager manager) {
      super(manager);
    }

    public <M extends Module> M add(String name, M child) {
      return registerChild(name, child);
    }
  }
}
