package dev.ibq.training.autoregressive;

/**
 * The exact shape of one class-conditional autoregressive transformer: everything needed to rebuild it.
 *
 * <p>A checkpoint carries this record (as JSON) so generation and evaluation rebuild the same model, never from
 * command-line defaults. The token-side fields ({@link #vocabSize()}, {@link #gridHeight()}, {@link
 * #gridWidth()}, {@link #numClasses()}) come from the token records the model is trained on; the rest from a
 * preset in {@link ArPreset}.
 *
 * @param preset name of the preset this config started from (informational; the numbers below are what count)
 * @param dim model width C
 * @param nLayers number of {@link TransformerBlock}s
 * @param nHeads attention heads; head dim = dim / nHeads (64 in every preset)
 * @param ffnMultipleOf the SwiGLU hidden width 2/3 * 4C is rounded up to a multiple of this (256 in IBQ.md)
 * @param vocabSize K, the tokenizer's codebook size
 * @param gridHeight token grid height H (tokens are in raster order, N = H * W)
 * @param gridWidth token grid width W
 * @param numClasses number of real classes; the class table has numClasses + 1 rows, the last is the null class
 * @param dropout token-embedding, residual and FFN dropout (0.1)
 * @param classDropout probability of replacing a training label by the null class (0.1), for guidance
 * @param ropeBase RoPE frequency base (10000)
 * @param normEps RMSNorm epsilon (1e-5)
 * @param initStd standard deviation of the normal weight init (0.02); the output head starts at zero
 */
public record ArConfig(
    String preset,
    int dim,
    int nLayers,
    int nHeads,
    int ffnMultipleOf,
    int vocabSize,
    int gridHeight,
    int gridWidth,
    int numClasses,
    float dropout,
    float classDropout,
    float ropeBase,
    float normEps,
    float initStd) {

  public ArConfig {
    require(dim > 0 && nLayers > 0 && nHeads > 0, "dim, nLayers and nHeads must be positive");
    require(
        dim % nHeads == 0, "dim " + dim + " is not divisible by nHeads " + nHeads + "; the head dim must be whole");
    // NOTE: IBQ.md fixes the head dim at 64 (every preset uses 64); tiny test configs use smaller heads. The 2-D
    // RoPE needs the rotary pairs (headDim / 2) to split evenly into row and column halves.
    require(
        (dim / nHeads) % 4 == 0,
        "head dim " + (dim / nHeads) + " must be a multiple of 4 so the rotary pairs split into row and column halves");
    require(ffnMultipleOf > 0, "ffnMultipleOf must be positive, got " + ffnMultipleOf);
    require(vocabSize > 1, "vocabSize (the codebook size K) must be at least 2, got " + vocabSize);
    require(
        gridHeight > 0 && gridWidth > 0,
        "the token grid must be at least 1x1, got " + gridHeight + "x" + gridWidth);
    require(numClasses > 0, "numClasses must be positive, got " + numClasses);
    require(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got " + dropout);
    require(classDropout >= 0 && classDropout < 1, "classDropout must be in [0, 1), got " + classDropout);
  }

  /** Head dim d = C / heads. */
  public int headDim() {
    return dim / nHeads;
  }

  /** N = H * W, the number of tokens per image. */
  public int sequenceLength() {
    return gridHeight * gridWidth;
  }

  /** Index of the null ("unconditional") class row in the class table. */
  public int nullClass() {
    return numClasses;
  }

  /** SwiGLU hidden width: int(2/3 * 4C) rounded up to a multiple of {@link #ffnMultipleOf()} (LlamaGen). */
  public int ffnHidden() {
    int hidden = (int) (2 * (4L * dim) / 3);
    return ffnMultipleOf * ((hidden + ffnMultipleOf - 1) / ffnMultipleOf);
  }

  /** This config with dropout and class dropout replaced (e.g. 0 for exact numeric tests). */
  public ArConfig withDropout(float newDropout, float newClassDropout) {
    return new ArConfig(
        preset, dim, nLayers, nHeads, ffnMultipleOf, vocabSize, gridHeight, gridWidth, numClasses, newDropout,
        newClassDropout, ropeBase, normEps, initStd);
  }

  /**
   * Number of trainable parameters, counted from the shapes alone (nothing is allocated), for the architecture
   * built by {@link Transformer}:
   *
   * <pre>
   * per block: wqkv 3C^2 + wo C^2 + SwiGLU 3*C*F + 2 RMSNorm C + AdaLN (6C^2 + 6C)
   * once:      token table K*C + class table (classes+1)*C + final RMSNorm C + final AdaLN (2C^2 + 2C) + head K*C
   * </pre>
   */
  public long parameterCount() {
    long c = dim;
    long f = ffnHidden();
    long perBlock = 4 * c * c + 3 * c * f + 2 * c + 6 * c * c + 6 * c;
    long once = (long) vocabSize * c + (numClasses + 1L) * c + c + 2 * c * c + 2 * c + (long) vocabSize * c;
    return nLayers * perBlock + once;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("Invalid AR config: " + message + ".");
    }
  }
}
