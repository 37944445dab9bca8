package dev.ibq.image;

import java.io.IOException;
import javax.imageio.IIOException;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * An {@code ImageInputStream} over encoded bytes in memory that enforces a decode deadline: every read
 * past the deadline throws {@link DeadlineExceeded} (single-byte reads check every 1024th call). Reads
 * return at most {@value #MAX_READ} bytes, so a
 * reader that works slowly through its input (e.g. a JPEG with thousands of progressive scans) asks
 * for more data, and meets the deadline, often.
 */
final class BoundedImageStream extends ImageInputStreamImpl {

  static final int MAX_READ = 512;

  /** Thrown by a read after the deadline. */
  static final class DeadlineExceeded extends IIOException {
    private static final long serialVersionUID = 1L;

    DeadlineExceeded(String message) {
      super(message);
    }
  }

  private final byte[] bytes;
  private final long deadlineNanos;
  private final long budgetMillis;
  private int singleReads;

  BoundedImageStream(byte[] bytes, long deadlineNanos, long budgetMillis) {
    this.bytes = bytes;
    this.deadlineNanos = deadlineNanos;
    this.budgetMillis = budgetMillis;
  }

  /** True when the deadline has passed. */
  boolean expired() {
    return System.nanoTime() - deadlineNanos > 0;
  }

  private void checkDeadline() throws DeadlineExceeded {
    if (expired()) {
      throw new DeadlineExceeded("the decode took longer than its budget of " + budgetMillis + " ms");
    }
  }

  @Override
  public int read() throws IOException {
    checkClosed();
    if ((++singleReads & 0x3FF) == 0) {
      checkDeadline(); // every 1024 single-byte reads: marker scanners read byte by byte
    }
    bitOffset = 0;
    if (streamPos >= bytes.length) {
      return -1;
    }
    return bytes[(int) streamPos++] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    checkClosed();
    checkDeadline();
    if (off < 0 || len < 0 || off + len > b.length) {
      throw new IndexOutOfBoundsException("off " + off + ", len " + len + ", buffer " + b.length);
    }
    bitOffset = 0;
    if (len == 0) {
      return 0;
    }
    if (streamPos >= bytes.length) {
      return -1;
    }
    int n = (int) Math.min(Math.min(len, MAX_READ), bytes.length - streamPos);
    System.arraycopy(bytes, (int) streamPos, b, off, n);
    streamPos += n;
    return n;
  }

  @Override
  public long length() {
    return bytes.length;
  }

  @Override
  public boolean isCached() {
    return true;
  }

  @Override
  public boolean isCachedMemory() {
    return true;
  }
}
