package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import dev.ibq.model.CodeUsage;
import java.util.List;

/**
 * What a quantizer returns for one batch.
 *
 * <p>Shape legend: B batch, D code dim, K codebook size, h x w token grid, N = B*h*w positions. The spatial
 * fields keep the layout of the input: (B, D, h, w) when the quantizer was given a feature map, (N, D) when it
 * was given flat vectors (then {@code indices} is (N)).
 *
 * @param indices code index per position, INT32, (B, h, w) or (N)
 * @param z the quantizer input (encoder output after quant_conv)
 * @param zQ what the decoder receives (through post_quant_conv): IBQ Ind.C, VQ z + sg(C[index] - z)
 * @param zHard C[index]; used only in the losses
 * @param logits (N, K) scores the index maximises: IBQ z.c_k (differentiable), VQ -||z - c_k||^2 (detached)
 * @param losses the quantizer's loss terms, unweighted, in the order the trainer adds them: IBQ {@code quant} (the
 *     double quantization loss) and {@code entropy}; VQ {@code quant} (codebook + 0.25 commitment)
 * @param codeCounts (K) FLOAT32, how often each code was chosen in this batch (no gradient)
 */
public record QuantizerOutput(
    NDArray indices,
    NDArray z,
    NDArray zQ,
    NDArray zHard,
    NDArray logits,
    List<LossTerm> losses,
    NDArray codeCounts) {

  public QuantizerOutput {
    losses = List.copyOf(losses);
  }

  /**
   * The loss term called {@code name}.
   *
   * @throws IllegalArgumentException naming the terms there are
   */
  public NDArray loss(String name) {
    for (LossTerm term : losses) {
      if (term.name().equals(name)) {
        return term.value();
      }
    }
    throw new IllegalArgumentException(
        "This quantizer has no loss term '" + name + "'; its terms are "
            + String.join(", ", losses.stream().map(LossTerm::name).toList()) + ".");
  }

  /** Codes chosen at least once in this batch. */
  public int usedCodes() {
    float[] counts = codeCounts.toFloatArray();
    int used = 0;
    for (float c : counts) {
      if (c > 0) {
        used++;
      }
    }
    return used;
  }

  /** exp(entropy) of this batch's code-usage distribution: K when usage is uniform, 1 when one code is used. */
  public double perplexity() {
    float[] c = codeCounts.toFloatArray();
    long[] histogram = new long[c.length];
    for (int k = 0; k < c.length; k++) {
      histogram[k] = Math.round(c[k]);
    }
    CodeUsage usage = CodeUsage.unbounded(c.length);
    usage.addCounts(histogram);
    return usage.perplexity();
  }
}
