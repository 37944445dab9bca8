package dev.ibq.schemas.codec;

import dev.ibq.schemas.ErrorCode;

/** Bytes that could not be decoded into the requested record; {@link #problem()} says what was wrong. */
public final class RecordDecodingException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** What was wrong with the bytes. */
  public enum Problem {
    /** No bytes at all (e.g. a Kafka tombstone). */
    EMPTY_INPUT,
    /** The first two bytes are not C3 01. */
    BAD_MARKER,
    /** Fewer than 10 header bytes. */
    TRUNCATED_HEADER,
    /** The fingerprint names a schema the store does not hold. */
    UNKNOWN_FINGERPRINT,
    /** The Confluent wire-format schema id is not in the Schema Registry. */
    UNKNOWN_SCHEMA_ID,
    /** The writer schema is known but the reader's schema cannot read it (e.g. another record type). */
    INCOMPATIBLE_SCHEMA,
    /** The body does not parse under the writer schema, or has bytes left over. */
    CORRUPT_BODY
  }

  private final Problem problem;

  public RecordDecodingException(Problem problem, String message) {
    this(problem, message, null);
  }

  public RecordDecodingException(Problem problem, String message, Throwable cause) {
    super(message, cause);
    this.problem = problem;
  }

  public Problem problem() {
    return problem;
  }

  /** The dead-letter code: {@link ErrorCode#EMPTY_PAYLOAD} for empty input, else {@link ErrorCode#UNDECODABLE_RECORD}. */
  public ErrorCode errorCode() {
    return problem == Problem.EMPTY_INPUT ? ErrorCode.EMPTY_PAYLOAD : ErrorCode.UNDECODABLE_RECORD;
  }
}
