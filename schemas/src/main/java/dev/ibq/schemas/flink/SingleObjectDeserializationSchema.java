package dev.ibq.schemas.flink;

import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.schemas.codec.RecordDecodingException;
import java.io.IOException;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/**
 * Flink deserialization of Avro single-object bytes into a generated record, resolving every
 * released schema version (see {@link AvroCodec}). Produces {@link AvroTypeInfo}.
 *
 * <p>Undecodable bytes throw an {@link IOException} (caused by a {@link RecordDecodingException}),
 * which fails the job. A job that must route them to a dead-letter topic instead should read the
 * raw bytes and call {@link AvroCodec#tryDecode(byte[])} itself.
 */
public final class SingleObjectDeserializationSchema<T extends SpecificRecordBase> implements DeserializationSchema<T> {

  private static final long serialVersionUID = 1L;

  private final Class<T> type;
  private transient AvroCodec<T> codec;

  public SingleObjectDeserializationSchema(Class<T> type) {
    this.type = Objects.requireNonNull(type, "record class");
  }

  @Override
  public void open(InitializationContext context) {
    codec = AvroCodec.forClass(type);
  }

  @Override
  public T deserialize(byte[] message) throws IOException {
    if (codec == null) { // used without open(), e.g. directly in a test
      codec = AvroCodec.forClass(type);
    }
    try {
      return codec.decode(message);
    } catch (RecordDecodingException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Override
  public boolean isEndOfStream(T nextElement) {
    return false;
  }

  @Override
  public TypeInformation<T> getProducedType() {
    return new AvroTypeInfo<>(type);
  }
}
