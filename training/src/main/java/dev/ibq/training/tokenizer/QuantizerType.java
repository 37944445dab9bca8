package dev.ibq.training.tokenizer;

/** Which quantizer sits between the encoder and the decoder. */
public enum QuantizerType {
  /** {@link IndexPropagationQuantizer}: the paper's method, every code receives a gradient. */
  IBQ,
  /** {@link VectorQuantizer}: the classic VQ-VAE/VQGAN baseline, only selected codes receive a gradient. */
  VQ
}
