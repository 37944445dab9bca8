package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;

/**
 * A codebook quantizer between the encoder and the decoder. Implementations keep the codebook under the
 * reference key {@code embedding.weight} (K, D).
 *
 * <p>Shape legend: B batch, D code dim, K codebook size, h x w token grid, N = B*h*w.
 *
 * <p>Memory: a training forward materialises several (N, K) float tensors (logits, softmaxes, one-hot) plus
 * their gradients; at N = 32*8*8 = 2048 and K = 16384 each is 128 MiB. Shrink the batch for very large K.
 */
public sealed interface Quantizer permits IndexPropagationQuantizer, VectorQuantizer {

  /** Quantizes z, (B, D, h, w) or (N, D), with the losses and statistics of a training step. */
  QuantizerOutput quantize(NDArray z);

  /** Only the code indices of z, INT32, (B, h, w) or (N); the cheapest path, for encoding. */
  NDArray indices(NDArray z);

  /** C[indices]: INT32/INT64 indices (B, h, w) -> (B, D, h, w), or (N) -> (N, D). */
  NDArray codes(NDArray indices);

  /** The codebook C, (K, D), a live parameter. */
  NDArray embedding();

  int codebookSize();

  int codeDim();
}
