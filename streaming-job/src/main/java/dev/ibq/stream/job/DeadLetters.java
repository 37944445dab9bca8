package dev.ibq.stream.job;

import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.stream.kafka.KafkaInput;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.util.OutputTag;

/** Building dead-letter records, and the side output they travel on inside the job. */
public final class DeadLetters {

  /** Stage names written into {@code DeadLetterRecord.stage}. */
  public static final String STAGE_DESERIALIZE = "deserialize";

  public static final String STAGE_DECODE = "decode";
  public static final String STAGE_PREPROCESS = "preprocess";
  public static final String STAGE_ENCODE = "encode";

  /** The side output of both the decode and the batch-encode operator. */
  public static final OutputTag<DeadLetterRecord> TAG =
      new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetterRecord.class));

  private DeadLetters() {}

  /** A dead letter for a raw Kafka record (the image id is known only when the Avro record decoded). */
  public static DeadLetterRecord of(
      KafkaInput in, String imageId, ErrorCode code, String stage, String message, long timeMillis) {
    return withHeaders(of(in.value, in.topic, in.partition, in.offset, imageId, code, stage, message, timeMillis), in.headers);
  }

  /** A dead letter for an image that was already prepared (inference failed). */
  public static DeadLetterRecord of(
      PreparedImage img, ErrorCode code, String stage, String message, long timeMillis) {
    return withHeaders(of(img.payload, img.topic, img.partition, img.offset, img.imageId, code, stage, message, timeMillis), img.headers);
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
      long timeMillis) {
    return DeadLetterRecord.newBuilder()
        .setImageId(imageId)
        .setPayload(ByteBuffer.wrap(payload == null ? new byte[0] : payload))
        .setErrorCode(code)
        .setMessage(message == null ? code + " (no further detail)." : message)
        .setStage(stage)
        .setTime(Instant.ofEpochMilli(timeMillis))
        .setSourceTopic(topic)
        .setSourcePartition(partition)
        .setSourceOffset(offset)
        .build();
  }
}
