package dev.ibq.model;

/**
 * A tokenizer model file could not be used: missing, not ONNX, not one of our exported models, or ONNX
 * Runtime failed while running it. The message is a full sentence naming the file and what was expected.
 */
public final class OnnxModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public OnnxModelException(String message) {
    super(message);
  }

  public OnnxModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
