package dev.ibq.stream.kafka;

import java.util.Map;

/**
 * One raw record from the input topic: its value bytes, untouched, and where it came from. Decoding
 * happens downstream so that a malformed record becomes a dead letter rather than a source failure.
 * A Flink POJO.
 */
public class KafkaInput {
  public String topic;
  public int partition;
  public long offset;
  /** Kafka record timestamp, epoch ms. */
  public long timestamp;
  /** The record value; an empty array for a null (tombstone) value. */
  public byte[] value;
  /** The record's headers (a repeated key keeps its last value; a null value becomes empty); may be null. */
  public Map<String, byte[]> headers;

  public KafkaInput() {}

  public KafkaInput(String topic, int partition, long offset, long timestamp, byte[] value) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.value = value;
  }

  @Override
  public String toString() {
    return "KafkaInput{" + topic + "-" + partition + ":" + offset + ", " + (value == null ? 0 : value.length) + " bytes}";
  }
}
