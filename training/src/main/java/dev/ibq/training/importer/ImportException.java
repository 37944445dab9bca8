package dev.ibq.training.importer;

/** An import that cannot proceed; the message says what was wrong and what to do. */
public class ImportException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ImportException(String message) {
    super(message);
  }

  public ImportException(String message, Throwable cause) {
    super(message, cause);
  }
}
