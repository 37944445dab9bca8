package dev.ibq.schemas.flink;

import dev.ibq.schemas.codec.AvroCodec;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.SerializationSchema;

/**
 * Flink serialization of a generated Avro record as Avro single-object bytes (marker, schema
 * fingerprint, body), e.g. for a {@code KafkaSink}. flink-avro's own schema writes bare Avro
 * without the header, which readers without a registry cannot resolve.
 */
public final class SingleObjectSerializationSchema<T extends SpecificRecordBase> implements SerializationSchema<T> {

  private static final long serialVersionUID = 1L;

  private final Class<T> type;
  private transient AvroCodec<T> codec;

  public SingleObjectSerializationSchema(Class<T> type) {
    this.type = Objects.requireNonNull(type, "record class");
  }

  @Override
  public void open(InitializationContext context) {
    codec = AvroCodec.forClass(type);
  }

  @Override
  public byte[] serialize(T element) {
    if (codec == null) { // used without open(), e.g. directly in a test
      codec = AvroCodec.forClass(type);
    }
    return codec.encode(element);
  }
}
