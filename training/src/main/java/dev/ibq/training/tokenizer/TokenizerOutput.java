package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;

/**
 * A training forward of {@link IbqTokenizerModel}.
 *
 * @param reconstruction decoded images (B, outChannels, R, R), same range as the input ([-1, 1])
 * @param quantizer the quantizer's indices (B, h, w), features, losses and code counts
 */
public record TokenizerOutput(NDArray reconstruction, QuantizerOutput quantizer) {}
