package dev.ibq.training.autoregressive.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounded Kafka read against a real broker (a child-process KRaft node): transactional, single-object-encoded
 * TokenRecords as the stream job writes them give the same dataset as the Avro file path; aborted records are
 * not read (read_committed); records of a second tokenizer are a clear error.
 */
class KafkaTokenSourceIT {

  private static final AvroCodec<TokenRecord> CODEC = AvroCodec.forClass(TokenRecord.class);
  static KafkaBrokerProcess broker;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    broker = KafkaBrokerProcess.start();
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(String transactionalId) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
    producer.initTransactions();
    return producer;
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, String topic, List<TokenRecord> records) {
    for (TokenRecord r : records) {
      producer.send(new ProducerRecord<>(topic, r.getImageId().getBytes(), CODEC.encode(r)));
    }
  }

  @Test
  void committedRecordsOfTheTopicGiveTheSameDatasetAsTheAvroFile() {
    broker.createTopics(2, "tokens-a");
    List<TokenRecord> committed = TestTokenRecords.make(30, 3, 4, 11, 5, "tok-a", 1);
    try (KafkaProducer<byte[], byte[]> producer = producer("ar-it-1")) {
      producer.beginTransaction();
      send(producer, "tokens-a", committed);
      producer.commitTransaction();
      producer.beginTransaction(); // a tokenizer mix that was never committed must stay invisible
      send(producer, "tokens-a", TestTokenRecords.make(5, 3, 4, 11, 5, "tok-aborted", 2));
      producer.flush();
      producer.abortTransaction();
    }

    TokenDataset fromKafka =
        KafkaTokenSource.read(broker.bootstrapServers(), "tokens-a", Map.of(), Duration.ofSeconds(60));
    Path file = dir.resolve("same.avro");
    TokenRecordFiles.write(file, committed);
    TokenDataset fromFile = TokenRecordFiles.read(file);

    assertThat(fromKafka.size()).isEqualTo(30);
    assertThat(fromKafka.tokenizerId()).isEqualTo("tok-a");
    assertThat(fromKafka.gridHeight()).isEqualTo(fromFile.gridHeight());
    assertThat(fromKafka.gridWidth()).isEqualTo(fromFile.gridWidth());
    assertThat(fromKafka.codebookSize()).isEqualTo(fromFile.codebookSize());
    // partitions interleave, so compare the records as a multiset
    assertThat(rows(fromKafka)).containsExactlyInAnyOrderElementsOf(rows(fromFile));
  }

  @Test
  void aSecondTokenizerOnTheTopicIsAnError() {
    broker.createTopics(1, "tokens-mixed");
    try (KafkaProducer<byte[], byte[]> producer = producer("ar-it-2")) {
      producer.beginTransaction();
      send(producer, "tokens-mixed", TestTokenRecords.make(3, 2, 2, 8, 2, "tok-first", 1));
      send(producer, "tokens-mixed", TestTokenRecords.make(2, 2, 2, 8, 2, "tok-second", 2));
      producer.commitTransaction();
    }
    assertThatThrownBy(
            () -> KafkaTokenSource.read(broker.bootstrapServers(), "tokens-mixed", Map.of(), Duration.ofSeconds(60)))
        .hasMessageContaining("tok-first")
        .hasMessageContaining("tok-second");
  }

  private static List<String> rows(TokenDataset data) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      out.add(data.labels()[i] + ":" + Arrays.toString(data.tokens()[i]));
    }
    return out;
  }
}
