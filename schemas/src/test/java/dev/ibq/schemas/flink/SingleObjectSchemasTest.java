package dev.ibq.schemas.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.Records;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.schemas.codec.RecordDecodingException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.junit.jupiter.api.Test;

class SingleObjectSchemasTest {

  @Test
  void schemasSurviveJavaSerializationAndRoundTripEveryRecord() throws Exception {
    // Flink ships (de)serialization schemas to task managers with Java serialization.
    var tokensOut = copy(new SingleObjectSerializationSchema<>(TokenRecord.class));
    var tokensIn = copy(new SingleObjectDeserializationSchema<>(TokenRecord.class));
    tokensOut.open(null);
    tokensIn.open(null);
    assertThat(tokensIn.deserialize(tokensOut.serialize(Records.tokens()))).isEqualTo(Records.tokens());

    var imagesOut = copy(new SingleObjectSerializationSchema<>(ImageRecord.class));
    var imagesIn = copy(new SingleObjectDeserializationSchema<>(ImageRecord.class));
    byte[] bytes = imagesOut.serialize(Records.image());
    assertThat(bytes).isEqualTo(AvroCodec.forClass(ImageRecord.class).encode(Records.image()));
    assertThat(imagesIn.deserialize(bytes)).isEqualTo(Records.image());

    var deadIn = new SingleObjectDeserializationSchema<>(DeadLetterRecord.class);
    var deadOut = new SingleObjectSerializationSchema<>(DeadLetterRecord.class);
    assertThat(deadIn.deserialize(deadOut.serialize(Records.deadLetter(ErrorCode.TOO_SMALL))))
        .isEqualTo(Records.deadLetter(ErrorCode.TOO_SMALL));
    assertThat(deadIn.isEndOfStream(Records.deadLetter(ErrorCode.TOO_SMALL))).isFalse();
  }

  @Test
  void producedTypeIsAvroTypeInfo() {
    var schema = new SingleObjectDeserializationSchema<>(ImageRecord.class);
    assertThat(schema.getProducedType()).isInstanceOf(AvroTypeInfo.class);
    assertThat(schema.getProducedType().getTypeClass()).isEqualTo(ImageRecord.class);
  }

  @Test
  void undecodableBytesFailWithTheCodecsReason() {
    var schema = new SingleObjectDeserializationSchema<>(ImageRecord.class);
    assertThatThrownBy(() -> schema.deserialize(new byte[] {1, 2, 3}))
        .isInstanceOf(IOException.class)
        .hasCauseInstanceOf(RecordDecodingException.class)
        .hasMessageContaining("marker C3 01");
  }

  @SuppressWarnings("unchecked")
  private static <S> S copy(S object) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(object);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (S) in.readObject();
    }
  }
}
