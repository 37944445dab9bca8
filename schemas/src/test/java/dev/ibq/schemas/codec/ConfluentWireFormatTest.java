package dev.ibq.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.Records;
import dev.ibq.schemas.codec.RecordDecodingException.Problem;
import org.junit.jupiter.api.Test;

/** The Confluent framing without a registry (the registry side is tested in deploy/cli's ConfluentWireFormatIT). */
class ConfluentWireFormatTest {

  @Test
  void theHeaderIsMagicZeroThenTheIdBigEndian() {
    byte[] h = new byte[ConfluentWireFormat.HEADER_LENGTH];
    ConfluentWireFormat.writeHeader(0x01020304, h);
    assertThat(h).containsExactly(0, 1, 2, 3, 4);
    assertThat(ConfluentWireFormat.readSchemaId(h)).isEqualTo(0x01020304);
    ConfluentWireFormat.writeHeader(Integer.MAX_VALUE, h);
    assertThat(ConfluentWireFormat.readSchemaId(h)).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void badFramingIsATypedErrorWithASentence() {
    assertThatThrownBy(() -> ConfluentWireFormat.readSchemaId(new byte[0]))
        .isInstanceOfSatisfying(RecordDecodingException.class, e -> assertThat(e.problem()).isEqualTo(Problem.EMPTY_INPUT));
    assertThatThrownBy(() -> ConfluentWireFormat.readSchemaId(new byte[] {0, 0, 1}))
        .isInstanceOfSatisfying(RecordDecodingException.class, e -> assertThat(e.problem()).isEqualTo(Problem.TRUNCATED_HEADER))
        .hasMessageContaining("3 bytes long");
    byte[] singleObject = AvroCodec.forClass(ImageRecord.class).encode(Records.image());
    assertThatThrownBy(() -> ConfluentWireFormat.readSchemaId(singleObject))
        .isInstanceOfSatisfying(RecordDecodingException.class, e -> assertThat(e.problem()).isEqualTo(Problem.BAD_MARKER))
        .hasMessageContaining("starts with C301")
        .hasMessageContaining("set the topic's value format to single-object");
  }

  @Test
  void badFramingIsRefusedBeforeTheRegistryIsAsked() {
    // Nothing listens on port 9 here: a request would fail as unavailable, not as a decoding error.
    ConfluentCodec<ImageRecord> codec =
        new ConfluentCodec<>(ImageRecord.class, new SchemaRegistryClient("http://127.0.0.1:9"), null, false);
    assertThatThrownBy(() -> codec.decode(new byte[] {1, 0, 0, 0, 1, 0}))
        .isInstanceOfSatisfying(RecordDecodingException.class, e -> assertThat(e.problem()).isEqualTo(Problem.BAD_MARKER));
    assertThatThrownBy(() -> codec.decode(new byte[] {0, 0}))
        .isInstanceOfSatisfying(RecordDecodingException.class, e -> assertThat(e.problem()).isEqualTo(Problem.TRUNCATED_HEADER));
  }

  @Test
  void aRegistryUrlMustBeHttp() {
    assertThatThrownBy(() -> new SchemaRegistryClient("registry:8081"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an http:// or https:// URL");
    assertThat(new SchemaRegistryClient("http://r:8081/apis/ccompat/v7/").url()).isEqualTo("http://r:8081/apis/ccompat/v7");
    assertThat(SchemaRegistryClient.valueSubject("ibq.tokens")).isEqualTo("ibq.tokens-value");
  }
}
