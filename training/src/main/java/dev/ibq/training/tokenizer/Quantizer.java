package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;

/**
 * A codebook quantizer between the encoder and the decoder. It owns its knowledge: its training forward returns
 * its loss terms by name ({@link QuantizerOutput#losses()}), it reports its own per-step diagnostics
 * ({@link #diagnostics}, {@link #sampledDiagnostics}) and its {@link #kind()} writes its export graph. Implementations
 * keep the codebook under the reference key {@code embedding.weight} (K, D).
 *
 * <p>Shape legend: B batch, D code dim, K codebook size, h x w token grid, N = B*h*w.
 *
 * <p>Memory: a training forward materialises several (N, K) float tensors (logits, softmaxes, one-hot) plus
 * their gradients; at N = 32*8*8 = 2048 and K = 16384 each is 128 MiB. Shrink the batch for very large K.
 */
public abstract class Quantizer extends TokenizerModule {

  protected Quantizer(NDManager manager) {
    super(manager);
  }

  /** The kind this quantizer is, as registered in {@link QuantizerKinds}. */
  public abstract QuantizerKind kind();

  /** Quantizes z, (B, D, h, w) or (N, D), with the loss terms and statistics of a training step. */
  public abstract QuantizerOutput quantize(NDArray z);

  /** Only the code indices of z, INT32, (B, h, w) or (N); the cheapest path, for encoding. */
  public abstract NDArray indices(NDArray z);

  /** C[indices]: INT32/INT64 indices (B, h, w) -> (B, D, h, w), or (N) -> (N, D). */
  public abstract NDArray codes(NDArray indices);

  /** The codebook C, (K, D), a live parameter. */
  public abstract NDArray embedding();

  public abstract int codebookSize();

  public abstract int codeDim();

  /**
   * Statistics of one training forward for the metrics log, by column name; the trainer averages each over its log
   * window. Default: {@code batch_perplexity}, exp(entropy) of this batch's code usage.
   */
  public Map<String, Double> diagnostics(QuantizerOutput out) {
    return Map.of("batch_perplexity", out.perplexity());
  }

  /**
   * Statistics too costly for every step, by column name; the trainer takes them on the first step of each log window
   * and logs them as they are. Default: none.
   */
  public Map<String, Double> sampledDiagnostics(QuantizerOutput out) {
    return Map.of();
  }

  /**
   * For kinds whose selection is a softmax: the largest selection probability per position, (N), of flat
   * features (N, D), on the features' manager; the evaluator reports its mean. Default: null (no such probability).
   */
  public NDArray maxProbabilities(NDArray flat) {
    return null;
  }

  /** The value of a 0-dim tensor as a double, whatever its float type. */
  protected static double scalar(NDArray a) {
    return a.toType(DataType.FLOAT64, false).getDouble();
  }
}
