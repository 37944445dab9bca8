package dev.ibq.stream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.schemas.codec.SchemaRegistryException;
import dev.ibq.stream.kafka.KafkaInput;
import dev.ibq.stream.kafka.TopicValueFormat;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The decode step with the Confluent wire format, where no registry is needed to decide: bad framing is a dead letter,
 * an unreachable registry fails the task (the record is retried after the restart, never dead-lettered for it). The
 * registry-backed path runs in deploy/cli's ConfluentWireFormatIT.
 */
class ConfluentDecodeTest {
  private static final PreprocessingSpec SPEC = PreprocessingSpec.fashionMnist32();
  private static final DecodeLimits LIMITS =
      new TopologySettings(8, 50, 1, 1 << 20, 1_000_000, 8, java.util.List.of(), 1000).decodeLimits();

  private static Function<byte[], ImageRecord> decoderWithoutRegistry() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    return TopicValueFormat.confluent("http://127.0.0.1:" + port, false).decoder(ImageRecord.class);
  }

  private static DecodeFunction.Outcome prepare(Function<byte[], ImageRecord> decoder, byte[] value) {
    KafkaInput in = new KafkaInput("ibq.images", 0, 7, 1234, value);
    return DecodeFunction.prepare(in, decoder, "Confluent wire-format", new Preprocessor(SPEC), LIMITS, 1 << 20,
        SPEC.tensorSize());
  }

  @Test
  void badFramingIsADeadLetterNamingTheFormat() throws Exception {
    ImageRecord r = ImageRecord.newBuilder().setImageId("a").setImage(ByteBuffer.wrap(new byte[] {1}))
        .setContentType("image/png").setLabel(null).setSourceUri(null).setEventTime(Instant.now())
        .setAttributes(Map.of()).build();
    DecodeFunction.Outcome singleObject = prepare(decoderWithoutRegistry(), AvroCodec.forClass(ImageRecord.class).encode(r));
    assertThat(singleObject.image).isNull();
    assertThat(singleObject.code).isEqualTo(ErrorCode.UNDECODABLE_RECORD);
    assertThat(singleObject.stage).isEqualTo(DeadLetters.STAGE_DESERIALIZE);
    assertThat(singleObject.message).startsWith("The Kafka record value is not a Confluent wire-format ImageRecord: ")
        .contains("magic byte 00");
    assertThat(prepare(decoderWithoutRegistry(), new byte[] {0, 0, 1}).code).isEqualTo(ErrorCode.UNDECODABLE_RECORD);
    DecodeFunction.Outcome empty = prepare(decoderWithoutRegistry(), new byte[0]);
    assertThat(empty.code).isEqualTo(ErrorCode.EMPTY_PAYLOAD);
    assertThat(empty.message).isEqualTo("The Kafka record value is empty; expected a Confluent wire-format ImageRecord.");
  }

  @Test
  void anUnreachableRegistryFailsTheTaskInsteadOfDeadLetteringTheRecord() throws Exception {
    assertThatThrownBy(() -> prepare(decoderWithoutRegistry(), new byte[] {0, 0, 0, 0, 1, 2, 3}))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.unavailable()).isTrue());
  }
}
