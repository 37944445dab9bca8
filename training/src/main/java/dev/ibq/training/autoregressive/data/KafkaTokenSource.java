package dev.ibq.training.autoregressive.data;

import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.codec.AvroCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded read of the Kafka token topic: every committed record from the beginning up to the end offsets taken
 * when the read starts (isolation {@code read_committed}, so aborted transactions of the exactly-once job are
 * skipped), decoded as single-object-encoded {@link TokenRecord}s into the same {@link TokenDataset} as the file
 * path. A plain {@link KafkaConsumer} with manual assignment: no consumer group, no offsets committed.
 */
public final class KafkaTokenSource {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaTokenSource.class);
  private static final AvroCodec<TokenRecord> CODEC = AvroCodec.forClass(TokenRecord.class);

  private KafkaTokenSource() {}

  /**
   * @param bootstrapServers the brokers, e.g. localhost:9092
   * @param topic the token topic
   * @param extra further consumer properties (security etc.), may be empty
   * @param timeout the longest the whole read may take
   */
  public static TokenDataset read(String bootstrapServers, String topic, Map<String, String> extra, Duration timeout) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.putAll(extra);
    String source = "Kafka topic " + topic + " at " + bootstrapServers;
    TokenDataset.Builder builder = new TokenDataset.Builder(source);
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalArgumentException("The " + source + " does not exist or has no partitions.");
      }
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : infos) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout); // the last stable offsets
      LOG.info("Reading {} up to end offsets {}", source, end);
      while (!reachedEnd(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Reading the " + source + " did not reach the end offsets " + end + " within " + timeout
                  + " (read " + builder.count() + " records); raise the timeout or check the brokers.");
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (record.offset() >= end.getOrDefault(new TopicPartition(record.topic(), record.partition()), 0L)) {
            continue; // appended after the read started
          }
          builder.add(decode(record));
        }
      }
    }
    return builder.build();
  }

  private static boolean reachedEnd(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static TokenRecord decode(ConsumerRecord<byte[], byte[]> record) {
    try {
      return CODEC.decode(record.value()); // any released TokenRecord schema version
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "Record at " + record.topic() + "-" + record.partition() + "@" + record.offset()
              + " is not a single-object-encoded TokenRecord: " + e.getMessage(), e);
    }
  }
}
