package dev.ibq.model;

/**
 * Where ONNX Runtime runs the tokenizer.
 *
 * <p>{@link #AUTO} tries CUDA device 0 and falls back to the CPU when the CUDA provider cannot be added
 * (no GPU, no driver, no CUDA 12 / cuDNN 9 libraries); the choice and its reason are logged. {@link #CUDA}
 * fails when CUDA is not usable. {@link #CPU} never touches CUDA.
 */
public enum ExecutionProvider {
  AUTO,
  CPU,
  CUDA
}
