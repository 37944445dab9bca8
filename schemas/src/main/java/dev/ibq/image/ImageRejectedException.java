package dev.ibq.image;

import dev.ibq.schemas.ErrorCode;

/** An encoded image the decoder refused; {@link #reason()} says why in a form a dead-letter record can carry. */
public final class ImageRejectedException extends Exception {

  private static final long serialVersionUID = 1L;

  /** Why an image was refused; each maps 1:1 onto an Avro {@link ErrorCode}. */
  public enum Reason {
    EMPTY(ErrorCode.EMPTY_PAYLOAD),
    UNSUPPORTED_FORMAT(ErrorCode.UNSUPPORTED_FORMAT),
    CORRUPT_IMAGE(ErrorCode.CORRUPT_IMAGE),
    TOO_LARGE(ErrorCode.TOO_LARGE),
    TOO_SMALL(ErrorCode.TOO_SMALL),
    DECODE_TIMEOUT(ErrorCode.DECODE_TIMEOUT);

    private final ErrorCode errorCode;

    Reason(ErrorCode errorCode) {
      this.errorCode = errorCode;
    }

    /** The dead-letter error code of this reason. */
    public ErrorCode errorCode() {
      return errorCode;
    }
  }

  private final Reason reason;

  public ImageRejectedException(Reason reason, String message) {
    this(reason, message, null);
  }

  public ImageRejectedException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  public ErrorCode errorCode() {
    return reason.errorCode();
  }
}
