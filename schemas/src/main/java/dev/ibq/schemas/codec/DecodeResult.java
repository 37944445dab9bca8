package dev.ibq.schemas.codec;

import java.util.Objects;

/**
 * Either a decoded record or the reason it could not be decoded; returned by
 * {@link AvroCodec#tryDecode(byte[])} so a stream job can route bad bytes to a dead-letter topic
 * without exceptions for control flow.
 */
public final class DecodeResult<T> {

  private final T value;
  private final RecordDecodingException error;

  private DecodeResult(T value, RecordDecodingException error) {
    this.value = value;
    this.error = error;
  }

  public static <T> DecodeResult<T> ok(T value) {
    return new DecodeResult<>(Objects.requireNonNull(value, "decoded value"), null);
  }

  public static <T> DecodeResult<T> failed(RecordDecodingException error) {
    return new DecodeResult<>(null, Objects.requireNonNull(error, "decoding error"));
  }

  public boolean isOk() {
    return error == null;
  }

  /** The record; throws the decoding error if there is none. */
  public T value() {
    if (error != null) {
      throw error;
    }
    return value;
  }

  /** The decoding error, or null when {@link #isOk()}. */
  public RecordDecodingException error() {
    return error;
  }

  @Override
  public String toString() {
    return isOk() ? "DecodeResult[ok]" : "DecodeResult[" + error.problem() + ": " + error.getMessage() + "]";
  }
}
