package dev.ibq.training.export;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The tokenizer's weights by reference checkpoint key (taming / SEED-Voken names, e.g.
 * {@code encoder.down.0.block.1.conv2.weight}), as float arrays with shapes. The graph builders
 * {@link #take} what they need with the shape they expect; a missing key or a wrong shape is an error,
 * and {@link #unused()} tells which given tensors no graph consumed.
 *
 * <p>{@link #random(long)} instead invents every requested tensor (conv weights N(0, 1/fan_in), norm
 * scales 1, biases small, codebook N(0, 1)): a stand-in for a trained model when testing the exporter.
 */
final class NamedWeights {
  /** A dense float tensor in row-major order. */
  record Tensor(long[] shape, float[] data) {}

  private final SortedMap<String, Tensor> tensors;
  private final Set<String> taken = new TreeSet<>();
  private final Random random;

  private NamedWeights(SortedMap<String, Tensor> tensors, Random random) {
    this.tensors = tensors;
    this.random = random;
  }

  static NamedWeights of(Map<String, Tensor> tensors) {
    return new NamedWeights(new TreeMap<>(tensors), null);
  }

  /** The tensors of a DJL state dict, copied to float arrays (the exportable keys only). */
  static NamedWeights fromStateDict(Map<String, ai.djl.ndarray.NDArray> stateDict) {
    SortedMap<String, Tensor> tensors = new TreeMap<>();
    for (Map.Entry<String, ai.djl.ndarray.NDArray> e : stateDict.entrySet()) {
      if (!TokenizerExporter.exportable(e.getKey())) {
        continue;
      }
      ai.djl.ndarray.NDArray a = e.getValue();
      if (a.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32) {
        throw new IllegalArgumentException(
            "The tokenizer weight '" + e.getKey() + "' is " + a.getDataType() + "; the exporter expects float32.");
      }
      tensors.put(e.getKey(), new Tensor(a.getShape().getShape(), a.toFloatArray()));
    }
    return new NamedWeights(tensors, null);
  }

  static NamedWeights random(long seed) {
    return new NamedWeights(new TreeMap<>(), new Random(seed));
  }

  /** The tensor under {@code key}, checked against {@code shape}. */
  synchronized float[] take(String key, long... shape) {
    Tensor t = tensors.get(key);
    if (t == null && random != null) {
      t = new Tensor(shape.clone(), invent(key, shape));
      tensors.put(key, t);
    }
    if (t == null) {
      throw new IllegalArgumentException(
          "The tokenizer weights lack '" + key + "' of shape " + Arrays.toString(shape)
              + "; the checkpoint does not match its architecture config.");
    }
    if (!Arrays.equals(t.shape(), shape)) {
      throw new IllegalArgumentException(
          "The tokenizer weight '" + key + "' has shape " + Arrays.toString(t.shape()) + " but the architecture needs "
              + Arrays.toString(shape) + ".");
    }
    taken.add(key);
    return t.data();
  }

  /** Keys present but never taken, sorted. */
  synchronized Set<String> unused() {
    Set<String> rest = new TreeSet<>(tensors.keySet());
    rest.removeAll(taken);
    return rest;
  }

  /** The tensors taken so far, by key in sorted (canonical) order. */
  synchronized SortedMap<String, Tensor> takenTensors() {
    SortedMap<String, Tensor> out = new TreeMap<>();
    for (String k : taken) {
      out.put(k, tensors.get(k));
    }
    return Collections.unmodifiableSortedMap(out);
  }

  private float[] invent(String key, long[] shape) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    float[] data = new float[n];
    if (key.endsWith("embedding.weight")) {
      for (int i = 0; i < n; i++) {
        data[i] = (float) random.nextGaussian();
      }
    } else if (key.endsWith(".weight") && shape.length == 4) {
      double std = 1.0 / Math.sqrt(shape[1] * shape[2] * shape[3]);
      for (int i = 0; i < n; i++) {
        data[i] = (float) (random.nextGaussian() * std);
      }
    } else if (key.endsWith(".weight")) {
      for (int i = 0; i < n; i++) {
        data[i] = 1f + 0.1f * (float) random.nextGaussian();
      }
    } else {
      for (int i = 0; i < n; i++) {
        data[i] = 0.05f * (float) random.nextGaussian();
      }
    }
    return data;
  }
}
