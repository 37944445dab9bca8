package dev.ibq.stream.kafka;

import dev.ibq.schemas.codec.AvroCodec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Writes Avro records to one topic in Avro single-object encoding ({@link AvroCodec}: header, schema
 * fingerprint, body), the encoding every reader of this project expects, or in the Confluent wire format with a
 * Schema Registry ({@link TopicValueFormat}). The record key is a UTF-8 string taken from the
 * record (the image id), so a compacted or partitioned topic groups records by image.
 *
 * <p>Every record carries the headers {@code headers} names for it (e.g. the input record's headers, carried
 * through, and {@value #TOKENIZER_ID}), then {@value #CONTENT_TYPE} (what the value is: {@link #contentType});
 * a header of {@code headers} named like one the job sets itself is left out, so each name occurs once.
 */
public final class AvroRecordSerializer<T extends SpecificRecord> implements KafkaRecordSerializationSchema<T> {
  private static final long serialVersionUID = 1L;

  /** Header naming the value's encoding and record type. */
  public static final String CONTENT_TYPE = "content-type";

  /** Header carrying the tokenizer id (hex SHA-256 of the exported weights) that produced or refused a record. */
  public static final String TOKENIZER_ID = "ibq.tokenizer-id";

  private final String topic;
  private final Class<T> type;
  private final SerializableFunction<T, String> key;
  private final SerializableFunction<T, Map<String, byte[]>> headers;
  private final TopicValueFormat format;
  private transient java.util.function.Function<T, byte[]> codec;
  private transient byte[] contentType;

  /**
   * @param topic destination topic
   * @param type the generated record class
   * @param key the record key (null for no key)
   */
  public AvroRecordSerializer(String topic, Class<T> type, SerializableFunction<T, String> key) {
    this(topic, type, key, r -> Map.of());
  }

  /**
   * @param headers headers of each record besides {@value #CONTENT_TYPE} (none when empty)
   */
  public AvroRecordSerializer(
      String topic, Class<T> type, SerializableFunction<T, String> key, SerializableFunction<T, Map<String, byte[]>> headers) {
    this(topic, type, key, headers, TopicValueFormat.SINGLE_OBJECT);
  }

  /**
   * @param format the values' framing: single-object, or the Confluent wire format under subject {@code <topic>-value}
   */
  public AvroRecordSerializer(
      String topic, Class<T> type, SerializableFunction<T, String> key, SerializableFunction<T, Map<String, byte[]>> headers,
      TopicValueFormat format) {
    this.topic = topic;
    this.type = type;
    this.key = key;
    this.headers = headers;
    this.format = format;
  }

  /**
   * Carried-through headers without the names {@code own} (the job's), then {@code own}: each name once.
   *
   * @param carried e.g. a record's {@code kafka_headers}
   * @param own the job's headers as UTF-8 strings
   */
  public static Map<String, byte[]> headers(Map<String, java.nio.ByteBuffer> carried, Map<String, String> own) {
    Map<String, byte[]> m = new java.util.LinkedHashMap<>();
    if (carried != null) {
      carried.forEach((k, v) -> {
        if (!own.containsKey(k) && !CONTENT_TYPE.equals(k)) {
          byte[] b = new byte[v.remaining()];
          v.duplicate().get(b);
          m.put(k, b);
        }
      });
    }
    own.forEach((k, v) -> m.put(k, v.getBytes(StandardCharsets.UTF_8)));
    return m;
  }

  /**
   * The {@value #CONTENT_TYPE} of a record type: Avro binary in single-object encoding, with the record's full
   * name, e.g. {@code application/vnd.apache.avro+binary; encoding=single-object; record=dev.ibq.schemas.TokenRecord}.
   */
  public static String contentType(Class<? extends SpecificRecord> type) {
    return "application/vnd.apache.avro+binary; encoding=single-object; record=" + type.getName();
  }

  /** The {@value #CONTENT_TYPE} of a record type in {@code format}: as {@link #contentType(Class)}, with its encoding. */
  public static String contentType(Class<? extends SpecificRecord> type, TopicValueFormat format) {
    return format.format() == dev.ibq.stream.config.ValueFormat.SINGLE_OBJECT
        ? contentType(type)
        : "application/vnd.apache.avro+binary; encoding=confluent; record=" + type.getName();
  }

  @Override
  public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
    codec = format.encoder(type, topic);
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
    if (codec == null) {
      codec = format.encoder(type, topic);
    }
    if (contentType == null) {
      contentType = contentType(type, format).getBytes(StandardCharsets.UTF_8);
    }
    String k = key.apply(element);
    RecordHeaders h = new RecordHeaders();
    headers.apply(element).forEach((name, value) -> {
      if (!CONTENT_TYPE.equals(name)) {
        h.add(name, value);
      }
    });
    h.add(CONTENT_TYPE, contentType);
    return new ProducerRecord<>(
        topic, null, timestamp, k == null ? null : k.getBytes(StandardCharsets.UTF_8), codec.apply(element), h);
  }
}
