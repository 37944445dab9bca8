package dev.ibq.stream.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes Avro records to one topic in Avro single-object encoding (header, schema fingerprint, body),
 * the encoding every reader of this project expects. The record key is a UTF-8 string taken from the
 * record (the image id), so a compacted or partitioned topic groups records by image.
 */
public final class AvroRecordSerializer<T extends SpecificRecord> implements KafkaRecordSerializationSchema<T> {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final Class<T> type;
  private final SerializableFunction<T, String> key;
  private transient BinaryMessageEncoder<T> encoder;

  /**
   * @param topic destination topic
   * @param type the generated record class
   * @param key the record key (null for no key)
   */
  public AvroRecordSerializer(String topic, Class<T> type, SerializableFunction<T, String> key) {
    this.topic = topic;
    this.type = type;
    this.key = key;
  }

  @Override
  public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
    encoder = encoder(type);
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
    if (encoder == null) {
      encoder = encoder(type);
    }
    String k = key.apply(element);
    return new ProducerRecord<>(
        topic, null, timestamp, k == null ? null : k.getBytes(StandardCharsets.UTF_8), encode(encoder, element));
  }

  /** The single-object encoder of a generated record class. */
  public static <T extends SpecificRecord> BinaryMessageEncoder<T> encoder(Class<T> type) {
    return new BinaryMessageEncoder<>(SpecificData.get(), SpecificData.get().getSchema(type));
  }

  /** Single-object encodes one record. */
  public static <T extends SpecificRecord> byte[] encode(BinaryMessageEncoder<T> encoder, T record) {
    try {
      ByteBuffer b = encoder.encode(record);
      byte[] out = new byte[b.remaining()];
      b.get(out);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not Avro-encode a " + record.getClass().getSimpleName() + ".", e);
    }
  }
}
