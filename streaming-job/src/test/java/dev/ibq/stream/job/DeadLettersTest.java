package dev.ibq.stream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.kafka.AvroRecordSerializer;
import dev.ibq.stream.kafka.KafkaInput;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.Test;

/**
 * Dead letters fit the sink by construction: the size Kafka's producer checks against
 * {@code max.request.size} (its own upper-bound estimate of key, value and batch framing) stays within
 * the limit for inputs far larger than it.
 */
class DeadLettersTest {
  private static final int MAX_REQUEST = JobConfig.DEFAULT_MAX_REQUEST_BYTES;
  private static final int MAX_PAYLOAD = DeadLetters.maxPayloadBytes(MAX_REQUEST);
  private static final AvroRecordSerializer<DeadLetterRecord> SERIALIZER =
      new AvroRecordSerializer<>("dead", DeadLetterRecord.class, DeadLetterRecord::getImageId);
  private static final AvroCodec<ImageRecord> CODEC = AvroCodec.forClass(ImageRecord.class);

  /** What KafkaProducer compares with max.request.size for this record. */
  private static int producerSize(DeadLetterRecord d) {
    ProducerRecord<byte[], byte[]> r = SERIALIZER.serialize(d, null, 0L);
    return AbstractRecords.estimateSizeInBytesUpperBound(
        RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE, r.key(), r.value(), r.headers().toArray());
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @Test
  void anUndecodableValueOverTheRequestSizeIsTruncatedWithItsSizeAndHashKept() {
    byte[] value = random(17_000_000, 1); // > 16.7 MB, not Avro
    KafkaInput in = new KafkaInput("images", 0, 7, 0, value);
    DeadLetterRecord d = DeadLetters.of(in, null, ErrorCode.UNDECODABLE_RECORD, DeadLetters.STAGE_DESERIALIZE,
        "not an ImageRecord", 1000, MAX_PAYLOAD);
    assertThat(d.getPayloadTruncated()).isTrue();
    assertThat(d.getPayloadSize()).isEqualTo(17_000_000L);
    assertThat(d.getPayloadSha256()).isEqualTo(DeadLetters.sha256(value)).hasSize(64);
    assertThat(bytes(d.getPayload())).isEqualTo(Arrays.copyOf(value, MAX_PAYLOAD));
    assertThat(d.getMessage()).contains("17000000 bytes").contains("not an ImageRecord");
    assertThat(producerSize(d)).isLessThanOrEqualTo(MAX_REQUEST);
  }

  @Test
  void aTooLargeRecordWithAHugeIdAndMessageStillFits() {
    // A value over the request size whose image id alone is 8 MB: the id is capped in the dead
    // letter (it is also its key), the payload cut to the limit.
    char[] id = new char[8_000_000];
    Arrays.fill(id, '\u00e9'); // 2 bytes each in UTF-8
    ImageRecord r = ImageRecord.newBuilder().setImageId(new String(id)).setImage(ByteBuffer.wrap(random(1_000_000, 2)))
        .setContentType("image/png").setLabel(null).setSourceUri(null).setEventTime(Instant.EPOCH)
        .setAttributes(Map.of()).build();
    byte[] value = CODEC.encode(r);
    assertThat(value.length).isGreaterThan(MAX_REQUEST);
    String longMessage = "x".repeat(100_000);
    DeadLetterRecord d = DeadLetters.of(new KafkaInput("images", 0, 1, 0, value), new String(id), ErrorCode.TOO_LARGE,
        DeadLetters.STAGE_DESERIALIZE, longMessage, 0, MAX_PAYLOAD);
    assertThat(d.getImageId()).hasSize(DeadLetters.MAX_ID_CHARS).endsWith("\u2026");
    assertThat(d.getMessage()).hasSize(DeadLetters.MAX_MESSAGE_CHARS);
    assertThat(producerSize(d)).isLessThanOrEqualTo(MAX_REQUEST);
  }

  @Test
  void aSmallPayloadIsKeptWholeAndUntruncated() {
    byte[] value = random(1000, 3);
    DeadLetterRecord d = DeadLetters.of(new KafkaInput("images", 0, 1, 0, value), "a", ErrorCode.CORRUPT_IMAGE,
        DeadLetters.STAGE_DECODE, "bad", 0, MAX_PAYLOAD);
    assertThat(d.getPayloadTruncated()).isFalse();
    assertThat(bytes(d.getPayload())).isEqualTo(value);
    assertThat(d.getPayloadSize()).isEqualTo(1000L);
    assertThat(d.getMessage()).isEqualTo("bad");
  }

  @Test
  void theDecodeFunctionRefusesMetadataTheTokenRecordCouldNotCarry() {
    Map<String, String> attributes = new HashMap<>();
    attributes.put("blob", "y".repeat(2_000_000));
    ImageRecord r = ImageRecord.newBuilder().setImageId("meta").setImage(ByteBuffer.wrap(new byte[] {1, 2, 3}))
        .setContentType("image/png").setLabel(null).setSourceUri(null).setEventTime(Instant.EPOCH)
        .setAttributes(attributes).build();
    PreprocessingSpec spec = PreprocessingSpec.fashionMnist32();
    TopologySettings settings = new TopologySettings(8, 50, 1, 16 << 20, 1_000_000, 8, List.of(), 1000);
    DecodeFunction.Outcome o = DecodeFunction.prepare(new KafkaInput("images", 0, 1, 0, CODEC.encode(r)), CODEC,
        new Preprocessor(spec), settings.decodeLimits(), settings.maxMetadataBytes(), spec.tensorSize());
    assertThat(o.code).isEqualTo(ErrorCode.TOO_LARGE);
    assertThat(o.imageId).isEqualTo("meta");
    assertThat(o.message).contains("outside its image").contains("1048576");
  }

  @Test
  void aRequestSizeWithNoRoomForAPayloadIsRefusedUpFront() {
    assertThatThrownBy(() -> new TopologySettings(8, 50, 1, 1 << 20, 1_000_000, 8, List.of(), 1000,
            DecodeLimits.DEFAULT_MAX_DECODED_BYTES, 1000, 10_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max.request.size is 10000 bytes");
  }
}
