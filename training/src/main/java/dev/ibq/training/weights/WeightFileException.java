package dev.ibq.training.weights;

import java.io.IOException;

/** A weight file (safetensors, torch checkpoint) that cannot be read: the message says what was wrong and what to do. */
public final class WeightFileException extends IOException {
  private static final long serialVersionUID = 1L;

  public WeightFileException(String message) {
    super(message);
  }

  public WeightFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
