package dev.ibq.training.autoregressive;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The closed registry of AR model shapes. A preset fixes width, depth and heads (head dim 64 throughout); the
 * token side (K, grid, classes) is read from the token records, never hard-coded.
 *
 * <p>Parameter counts (from {@link ArConfig#parameterCount()}) for K = 16384 and 1000 classes, i.e. a
 * 16x16-token ImageNet setting; they include AdaLN (6C^2 + 6C per block), which is why they exceed LlamaGen's
 * published sizes for the same shapes (B 111M, L 343M, XL 775M, XXL 1.4B, which have no AdaLN):
 *
 * <ul>
 *   <li>{@code B}: C 768, 12 layers, 12 heads: 154,592,256 parameters
 *   <li>{@code L}: C 1024, 24 layers, 16 heads: 496,152,576 parameters
 *   <li>{@code XL}: C 1280, 36 layers, 20 heads: 1,132,149,760 parameters
 *   <li>{@code XXL}: C 1536, 48 layers, 24 heads: 2,095,613,952 parameters
 *   <li>{@code fmnist-cpu}: C 256, 4 layers, 4 heads, for Fashion-MNIST tokens on a CPU (e.g. K 1024, 10
 *       classes: 5,647,872 parameters)
 * </ul>
 *
 * These counts are checked by {@code ArPresetTest}, which also validates the formula against a built model.
 */
public enum ArPreset {
  FMNIST_CPU("fmnist-cpu", 256, 4, 4),
  B("B", 768, 12, 12),
  L("L", 1024, 24, 16),
  XL("XL", 1280, 36, 20),
  XXL("XXL", 1536, 48, 24);

  /** IBQ.md: the SwiGLU hidden width is rounded up to a multiple of 256. */
  public static final int FFN_MULTIPLE_OF = 256;

  private final String id;
  private final int dim;
  private final int nLayers;
  private final int nHeads;

  ArPreset(String id, int dim, int nLayers, int nHeads) {
    this.id = id;
    this.dim = dim;
    this.nLayers = nLayers;
    this.nHeads = nHeads;
  }

  public String id() {
    return id;
  }

  /** The full config for tokens with codebook size K, an H x W grid and the given number of classes. */
  public ArConfig config(int vocabSize, int gridHeight, int gridWidth, int numClasses) {
    return new ArConfig(
        id, dim, nLayers, nHeads, FFN_MULTIPLE_OF, vocabSize, gridHeight, gridWidth, numClasses, 0.1f, 0.1f,
        10000f, 1e-5f, 0.02f);
  }

  /** Looks a preset up by its id (case-insensitive); an unknown name is an error listing the known ones. */
  public static ArPreset byId(String name) {
    for (ArPreset p : values()) {
      if (p.id.equalsIgnoreCase(name.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "Unknown AR preset '" + name + "'; known presets: "
            + Arrays.stream(values()).map(ArPreset::id).collect(Collectors.joining(", ")) + ".");
  }
}
