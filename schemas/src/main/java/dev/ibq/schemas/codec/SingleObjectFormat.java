package dev.ibq.schemas.codec;

import dev.ibq.schemas.codec.RecordDecodingException.Problem;
import java.util.HexFormat;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * The Avro single-object encoding header: marker {@code C3 01}, then the writer schema's 64-bit
 * CRC-64-AVRO fingerprint of its Parsing Canonical Form, little-endian, then the Avro binary body.
 * See the Avro specification, "Single-object encoding".
 */
public final class SingleObjectFormat {

  /** Header length: 2 marker bytes + 8 fingerprint bytes. */
  public static final int HEADER_LENGTH = 10;

  static final byte MARKER_0 = (byte) 0xC3;
  static final byte MARKER_1 = (byte) 0x01;

  private SingleObjectFormat() {}

  /** CRC-64-AVRO fingerprint of {@code schema}'s Parsing Canonical Form (what the header carries). */
  public static long fingerprint(Schema schema) {
    return SchemaNormalization.parsingFingerprint64(schema);
  }

  /** Writes the header for {@code fingerprint} into {@code out[0..10)}. */
  public static void writeHeader(long fingerprint, byte[] out) {
    out[0] = MARKER_0;
    out[1] = MARKER_1;
    for (int i = 0; i < 8; i++) {
      out[2 + i] = (byte) (fingerprint >>> (8 * i));
    }
  }

  /**
   * Reads the writer fingerprint from {@code bytes}' header.
   *
   * @throws RecordDecodingException for empty input, a wrong marker or a header cut short
   */
  public static long readFingerprint(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new RecordDecodingException(Problem.EMPTY_INPUT,
          "The record is empty; expected Avro single-object bytes (C3 01, an 8-byte schema fingerprint, then the body).");
    }
    if (bytes[0] != MARKER_0 || (bytes.length > 1 && bytes[1] != MARKER_1)) {
      throw new RecordDecodingException(Problem.BAD_MARKER, "The record starts with " + hex(bytes, 2)
          + "; Avro single-object bytes start with the marker C3 01, so this is not a single-object Avro record.");
    }
    if (bytes.length < HEADER_LENGTH) {
      throw new RecordDecodingException(Problem.TRUNCATED_HEADER, "The record is " + bytes.length
          + " bytes long; an Avro single-object header alone is " + HEADER_LENGTH + " bytes (marker and 8-byte fingerprint).");
    }
    long fingerprint = 0;
    for (int i = 0; i < 8; i++) {
      fingerprint |= (bytes[2 + i] & 0xffL) << (8 * i);
    }
    return fingerprint;
  }

  /** The fingerprint as it appears on the wire, e.g. {@code 3a 7c ...} as 16 hex digits in byte order. */
  public static String fingerprintHex(long fingerprint) {
    byte[] header = new byte[HEADER_LENGTH];
    writeHeader(fingerprint, header);
    return HexFormat.of().formatHex(header, 2, HEADER_LENGTH);
  }

  private static String hex(byte[] bytes, int max) {
    return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(bytes, 0, Math.min(max, bytes.length));
  }
}
