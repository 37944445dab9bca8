package dev.ibq.stream.kafka;

import dev.ibq.schemas.codec.AvroCodec;
import java.nio.charset.StandardCharsets;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes Avro records to one topic in Avro single-object encoding ({@link AvroCodec}: header, schema
 * fingerprint, body), the encoding every reader of this project expects. The record key is a UTF-8 string taken from the
 * record (the image id), so a compacted or partitioned topic groups records by image.
 */
public final class AvroRecordSerializer<T extends SpecificRecord> implements KafkaRecordSerializationSchema<T> {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final Class<T> type;
  private final SerializableFunction<T, String> key;
  private transient AvroCodec<T> codec;

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
    codec = AvroCodec.forClass(type);
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
    if (codec == null) {
      codec = AvroCodec.forClass(type);
    }
    String k = key.apply(element);
    return new ProducerRecord<>(
        topic, null, timestamp, k == null ? null : k.getBytes(StandardCharsets.UTF_8), codec.encode(element));
  }
}
