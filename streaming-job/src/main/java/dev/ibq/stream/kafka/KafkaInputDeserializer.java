package dev.ibq.stream.kafka;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Wraps each Kafka record as a {@link KafkaInput} without interpreting it, so this step never throws:
 * the Avro decode (and its failures, which become dead letters) happens in the job's decode operator.
 */
public final class KafkaInputDeserializer implements KafkaRecordDeserializationSchema<KafkaInput> {
  private static final long serialVersionUID = 1L;
  private static final byte[] EMPTY = new byte[0];

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<KafkaInput> out) {
    byte[] value = record.value() == null ? EMPTY : record.value();
    KafkaInput in = new KafkaInput(record.topic(), record.partition(), record.offset(), record.timestamp(), value);
    in.headers = headers(record.headers());
    out.collect(in);
  }

  /** The headers as a map: a repeated key keeps its last value, a null value becomes an empty array. */
  static Map<String, byte[]> headers(Headers headers) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    for (Header h : headers) {
      m.put(h.key(), h.value() == null ? EMPTY : h.value());
    }
    return m;
  }

  @Override
  public TypeInformation<KafkaInput> getProducedType() {
    // a POJO with typed fields (no Kryo for the headers map)
    Map<String, TypeInformation<?>> fields = new LinkedHashMap<>();
    fields.put("topic", Types.STRING);
    fields.put("partition", Types.INT);
    fields.put("offset", Types.LONG);
    fields.put("timestamp", Types.LONG);
    fields.put("value", Types.PRIMITIVE_ARRAY(Types.BYTE));
    fields.put("headers", Types.MAP(Types.STRING, Types.PRIMITIVE_ARRAY(Types.BYTE)));
    return Types.POJO(KafkaInput.class, fields);
  }
}
