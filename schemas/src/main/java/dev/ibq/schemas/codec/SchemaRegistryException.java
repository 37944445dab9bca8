package dev.ibq.schemas.codec;

/**
 * A Schema Registry request that failed: the registry answered with an error ({@link #status()} and the
 * registry's {@link #errorCode()}, e.g. 40401 subject not found), or could not be reached ({@link #unavailable()}).
 */
public final class SchemaRegistryException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Confluent API error code: subject not found. */
  public static final int SUBJECT_NOT_FOUND = 40401;
  /** Confluent API error code: version not found. */
  public static final int VERSION_NOT_FOUND = 40402;
  /** Confluent API error code: schema not found (an unknown id, or a schema not registered under a subject). */
  public static final int SCHEMA_NOT_FOUND = 40403;

  private final int status;
  private final int errorCode;

  SchemaRegistryException(String message, int status, int errorCode, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.errorCode = errorCode;
  }

  /** The HTTP status, or 0 when the registry could not be reached. */
  public int status() {
    return status;
  }

  /** The registry's {@code error_code} (e.g. {@link #SUBJECT_NOT_FOUND}), or 0 when it gave none. */
  public int errorCode() {
    return errorCode;
  }

  /** Whether the registry could not be reached or failed itself (5xx): not a fact about the request. */
  public boolean unavailable() {
    return status == 0 || status >= 500;
  }

  /** Whether the registry answered 404 (subject, version or schema not found). */
  public boolean notFound() {
    return status == 404;
  }
}
