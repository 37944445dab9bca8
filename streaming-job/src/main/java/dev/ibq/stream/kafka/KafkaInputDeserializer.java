package dev.ibq.stream.kafka;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

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
    out.collect(new KafkaInput(record.topic(), record.partition(), record.offset(), record.timestamp(), value));
  }

  @Override
  public TypeInformation<KafkaInput> getProducedType() {
    return TypeInformation.of(KafkaInput.class);
  }
}
