package dev.ibq.stream.job;

import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.TokenRecords;
import dev.ibq.stream.kafka.KafkaInput;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.util.OutputTag;

/**
 * Building dead-letter records, and the side output they travel on inside the job.
 *
 * <p>A dead letter fits the dead-letter sink by construction: its payload is the original Kafka value
 * when that fits within {@link #maxPayloadBytes(long)} of the producer's {@code max.request.size}, and
 * otherwise only its first bytes ({@code payload_truncated} true). The original size and SHA-256 of the
 * whole value are always kept, and the free-text fields (image id, message) are capped, so the
 * record, its key and Kafka's framing stay within {@link #HEADROOM_BYTES} of the payload.
 */
public final class DeadLetters {

  /** Stage names written into {@code DeadLetterRecord.stage}. */
  public static final String STAGE_DESERIALIZE = "deserialize";

  public static final String STAGE_DECODE = "decode";
  public static final String STAGE_PREPROCESS = "preprocess";
  public static final String STAGE_ENCODE = "encode";

  /**
   * Bytes of a dead-letter Kafka record reserved for everything but the payload: the capped id (in the
   * value and again as the key), the capped message, stage, topic, SHA-256, Avro framing and Kafka's
   * record-batch overhead. The caps below keep that under 32 KiB; the rest is margin.
   */
  public static final int HEADROOM_BYTES = 64 * 1024;

  /** Longest image id written into a dead letter (and its key), in chars. */
  public static final int MAX_ID_CHARS = 1024;

  /** Longest message written into a dead letter, in chars. */
  public static final int MAX_MESSAGE_CHARS = 4000;

  /** The side output of both the decode and the batch-encode operator. */
  public static final OutputTag<DeadLetterRecord> TAG =
      new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetterRecord.class));

  private DeadLetters() {}

  /**
   * The largest payload a dead letter carries whole when the sink's producer accepts records of up to
   * {@code maxRequestBytes} ({@code max.request.size}).
   *
   * @throws IllegalArgumentException when the request size leaves no room for a payload
   */
  public static int maxPayloadBytes(long maxRequestBytes) {
    long room = maxRequestBytes - HEADROOM_BYTES;
    if (room < 1024) {
      throw new IllegalArgumentException("The dead-letter producer's max.request.size is " + maxRequestBytes
          + " bytes; it must be at least " + (HEADROOM_BYTES + 1024) + " bytes (" + HEADROOM_BYTES
          + " bytes of headroom for the record's other fields plus room for a payload).");
    }
    return (int) Math.min(room, Integer.MAX_VALUE - 16);
  }

  /** A dead letter for a raw Kafka record (the image id is known only when the Avro record decoded). */
  public static DeadLetterRecord of(
      KafkaInput in, String imageId, ErrorCode code, String stage, String message, long timeMillis, int maxPayloadBytes) {
    return withHeaders(
        of(in.value, in.topic, in.partition, in.offset, imageId, code, stage, message, timeMillis, maxPayloadBytes), in.headers);
  }

  /** A dead letter for an image that was already prepared (inference failed). */
  public static DeadLetterRecord of(
      PreparedImage img, ErrorCode code, String stage, String message, long timeMillis, int maxPayloadBytes) {
    return withHeaders(
        of(img.payload, img.topic, img.partition, img.offset, img.imageId, code, stage, message, timeMillis, maxPayloadBytes),
        img.headers);
  }

  private static DeadLetterRecord withHeaders(DeadLetterRecord r, java.util.Map<String, byte[]> headers) {
    r.setKafkaHeaders(TokenRecords.avroHeaders(headers));
    return r;
  }

  private static DeadLetterRecord of(
      byte[] payload,
      String topic,
      int partition,
      long offset,
      String imageId,
      ErrorCode code,
      String stage,
      String message,
      long timeMillis,
      int maxPayloadBytes) {
    byte[] value = payload == null ? new byte[0] : payload;
    boolean truncated = value.length > maxPayloadBytes;
    String text = message == null ? code + " (no further detail)." : message;
    if (truncated) {
      text = "The original value (" + value.length + " bytes) is larger than the dead-letter limit of " + maxPayloadBytes
          + " bytes (max.request.size minus " + HEADROOM_BYTES + "), so only its first " + maxPayloadBytes
          + " bytes are kept; payload_sha256 is that of the whole value. " + text;
    }
    return DeadLetterRecord.newBuilder()
        .setImageId(cap(imageId, MAX_ID_CHARS))
        .setPayload(ByteBuffer.wrap(value, 0, truncated ? maxPayloadBytes : value.length))
        .setErrorCode(code)
        .setMessage(cap(text, MAX_MESSAGE_CHARS))
        .setStage(stage)
        .setTime(Instant.ofEpochMilli(timeMillis))
        .setSourceTopic(cap(topic, MAX_ID_CHARS))
        .setSourcePartition(partition)
        .setSourceOffset(offset)
        .setPayloadSize((long) value.length)
        .setPayloadSha256(sha256(value))
        .setPayloadTruncated(truncated)
        .build();
  }

  /** {@code s} unchanged, or its first {@code max - 1} chars and an ellipsis. */
  static String cap(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    int end = max - 1;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--; // never split a surrogate pair
    }
    return s.substring(0, end) + "\u2026";
  }

  /** Lower-case hex SHA-256 of {@code bytes}. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("This JVM has no SHA-256, which every Java SE runtime must provide.", e);
    }
  }
}
