package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;

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
 * @param quantizationLoss scalar; IBQ the double quantization loss, VQ codebook + 0.25 commitment
 * @param entropyLoss scalar; sample entropy - batch entropy of softmax(logits / 0.01) (differentiable for IBQ,
 *     a detached statistic for VQ)
 * @param codeCounts (K) FLOAT32, how often each code was chosen in this batch (no gradient)
 */
public record QuantizerOutput(
    NDArray indices,
    NDArray z,
    NDArray zQ,
    NDArray zHard,
    NDArray logits,
    NDArray quantizationLoss,
    NDArray entropyLoss,
    NDArray codeCounts) {

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
    return TokenizerLosses.perplexity(codeCounts.toFloatArray());
  }
}
