package dev.ibq.local.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.Function;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.schemas.codec.RecordDecodingException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads every committed record of a topic, from the beginning up to its end as of the call, as a
 * {@code read_committed} consumer without a group (no offsets are committed). Values are Avro
 * single-object encoded records; one that does not decode is reported, never skipped silently.
 */
public final class AvroTopicReader {
  private AvroTopicReader() {}

  /** One record read: its Kafka coordinates, key and decoded value (null when undecodable). */
  public record Entry<T>(int partition, long offset, long timestamp, String key, T value, byte[] raw, String error) {}

  /**
   * Reads the topic up to its current end (the last stable offset of each partition).
   *
   * @param extra additional consumer properties (e.g. TLS/SASL)
   * @param timeout gives up (with an exception) when the end is not reached in time
   */
  public static <T extends SpecificRecord> List<Entry<T>> readAll(
      String bootstrap, String topic, Class<T> type, Properties extra, Duration timeout) {
    List<Entry<T>> out = new ArrayList<>();
    readAll(bootstrap, topic, type, extra, timeout, out::add);
    return out;
  }

  /** Streaming form of {@link #readAll(String, String, Class, Properties, Duration)}. */
  public static <T extends SpecificRecord> long readAll(
      String bootstrap, String topic, Class<T> type, Properties extra, Duration timeout, Consumer<Entry<T>> sink) {
    return readAll(bootstrap, topic, AvroCodec.forClass(type)::decode, extra, timeout, sink);
  }

  /**
   * {@link #readAll(String, String, Class, Properties, Duration, Consumer)} with any decoder of the values (e.g. the
   * Confluent wire format's): a {@link RecordDecodingException} it throws makes an undecodable entry; anything else
   * (a Schema Registry that cannot be reached) ends the read.
   */
  public static <T> long readAll(
      String bootstrap, String topic, Function<byte[], T> codec, Properties extra, Duration timeout, Consumer<Entry<T>> sink) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties(bootstrap, extra))) {
      List<TopicPartition> partitions = new ArrayList<>();
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("Topic '" + topic + "' does not exist on " + bootstrap + ".");
      }
      for (PartitionInfo p : infos) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      long n = 0;
      while (!reached(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Reading topic '" + topic + "' did not reach its end offsets " + end + " within " + timeout + ".");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          sink.accept(decode(codec, r));
          n++;
        }
      }
      return n;
    }
  }

  private static boolean reached(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static <T> Entry<T> decode(Function<byte[], T> codec, ConsumerRecord<byte[], byte[]> r) {
    String key = r.key() == null ? null : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
    try {
      T value = codec.apply(r.value() == null ? new byte[0] : r.value());
      return new Entry<>(r.partition(), r.offset(), r.timestamp(), key, value, r.value(), null);
    } catch (RecordDecodingException e) {
      return new Entry<>(r.partition(), r.offset(), r.timestamp(), key, null, r.value(), e.getMessage());
    }
  }

  /** read_committed, no group, byte-array deserializers. */
  public static Properties consumerProperties(String bootstrap, Properties extra) {
    Properties p = new Properties();
    if (extra != null) {
      p.putAll(extra);
    }
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 * 1024 * 1024));
    return p;
  }
}
