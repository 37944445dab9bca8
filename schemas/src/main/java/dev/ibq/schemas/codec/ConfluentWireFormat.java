package dev.ibq.schemas.codec;

import dev.ibq.schemas.codec.RecordDecodingException.Problem;
import java.util.HexFormat;

/**
 * The Confluent wire format of a Kafka value: magic byte {@code 00}, the writer schema's id in a Schema
 * Registry as a 4-byte big-endian int, then the Avro binary body. What Confluent's {@code KafkaAvroSerializer},
 * Flink SQL's {@code avro-confluent} format, Kafka Connect and confluent-kafka clients write and read.
 */
public final class ConfluentWireFormat {

  /** Header length: the magic byte and the 4-byte schema id. */
  public static final int HEADER_LENGTH = 5;

  static final byte MAGIC = 0;

  private ConfluentWireFormat() {}

  /** Writes the header for {@code schemaId} into {@code out[0..5)}. */
  public static void writeHeader(int schemaId, byte[] out) {
    out[0] = MAGIC;
    out[1] = (byte) (schemaId >>> 24);
    out[2] = (byte) (schemaId >>> 16);
    out[3] = (byte) (schemaId >>> 8);
    out[4] = (byte) schemaId;
  }

  /**
   * Reads the writer schema id from {@code bytes}' header.
   *
   * @throws RecordDecodingException for empty input, a wrong magic byte or a header cut short
   */
  public static int readSchemaId(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new RecordDecodingException(Problem.EMPTY_INPUT,
          "The record is empty; expected the Confluent wire format (magic byte 00, a 4-byte schema id, then the body).");
    }
    if (bytes[0] != MAGIC) {
      throw new RecordDecodingException(Problem.BAD_MARKER, "The record starts with "
          + HexFormat.of().withUpperCase().formatHex(bytes, 0, Math.min(2, bytes.length))
          + "; the Confluent wire format starts with the magic byte 00, so this is not a Confluent-framed Avro record"
          + (bytes.length > 1 && (bytes[0] & 0xff) == 0xC3 && bytes[1] == 1
              ? " (it looks like Avro single-object encoding: set the topic's value format to single-object)." : "."));
    }
    if (bytes.length < HEADER_LENGTH) {
      throw new RecordDecodingException(Problem.TRUNCATED_HEADER, "The record is " + bytes.length
          + " bytes long; a Confluent wire-format header alone is " + HEADER_LENGTH + " bytes (magic byte and 4-byte schema id).");
    }
    return ((bytes[1] & 0xff) << 24) | ((bytes[2] & 0xff) << 16) | ((bytes[3] & 0xff) << 8) | (bytes[4] & 0xff);
  }
}
