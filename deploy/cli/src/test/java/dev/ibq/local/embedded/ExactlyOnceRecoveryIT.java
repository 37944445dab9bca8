package dev.ibq.local.embedded;

import dev.ibq.image.source.ImageRecords;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.job.TokenizeJob;
import dev.ibq.stream.job.TokenizeTopology;
import dev.ibq.stream.job.TopologySettings;
import dev.ibq.local.kafka.AvroTopicReader;
import dev.ibq.local.kafka.ImageProducer;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import dev.ibq.stream.testing.FailOnceTokenizerFactory;
import dev.ibq.stream.testing.TestModels;
import dev.ibq.stream.tokenize.BatchTokenizerFactory;
import dev.ibq.stream.tokenize.OnnxTokenizerFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once across a task failure and across a stop-with-savepoint and restart: the committed output
 * (read_committed) holds every input image exactly once.
 */
class ExactlyOnceRecoveryIT {
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static EmbeddedPipeline pipeline;

  @BeforeAll
  static void startBroker() {
    pipeline = EmbeddedPipeline.start();
  }

  @AfterAll
  static void stopBroker() {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  private static JobConfig config(String bootstrap, String run, Path checkpoints, String restoreFrom) {
    Map<String, String> s = new HashMap<>();
    s.put(JobConfig.BOOTSTRAP_SERVERS, bootstrap);
    s.put(JobConfig.MODEL, TestModels.encoder().toString());
    s.put(JobConfig.INPUT_TOPIC, "in-" + run);
    s.put(JobConfig.OUTPUT_TOPIC, "out-" + run);
    s.put(JobConfig.DEAD_LETTER_TOPIC, "dlq-" + run);
    s.put(JobConfig.GROUP_ID, "g-" + run);
    s.put(JobConfig.TRANSACTIONAL_ID_PREFIX, "tx-" + run);
    s.put(JobConfig.BATCH_SIZE, "16");
    s.put(JobConfig.BATCH_MAX_WAIT_MS, "20");
    s.put(JobConfig.CHECKPOINT_INTERVAL_MS, "500");
    s.put(JobConfig.CHECKPOINT_DIR, checkpoints.toString());
    s.put(JobConfig.EXECUTION_PROVIDER, "cpu");
    s.put(JobConfig.STARTING_OFFSETS, "earliest");
    if (restoreFrom != null) {
      s.put(JobConfig.RESTORE_FROM, restoreFrom);
    }
    return JobConfig.fromMap(s);
  }

  private static JobClient start(JobConfig config, BatchTokenizerFactory tokenizers) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, TokenizeJob.flinkConfiguration(config));
    TokenizeTopology.build(
        env, TokenizeJob.kafkaSource(config), TokenizeJob.tokenSink(config), TokenizeJob.deadLetterSink(config),
        TopologySettings.of(config), tokenizers);
    return env.executeAsync(TokenizeJob.jobName(config));
  }

  private static void produce(String bootstrap, String topic, List<ImageRecord> records) {
    try (ImageProducer p = new ImageProducer(bootstrap, topic, 0, null)) {
      records.forEach(p::send);
    }
  }

  private static List<String> committedIds(String bootstrap, String topic) {
    return AvroTopicReader.readAll(bootstrap, topic, TokenRecord.class, null, Duration.ofSeconds(60)).stream()
        .map(e -> e.value().getImageId())
        .collect(Collectors.toList());
  }

  /** Polls the committed output until it holds at least {@code n} records. */
  private static List<String> awaitCommitted(String bootstrap, String topic, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    List<String> ids = committedIds(bootstrap, topic);
    while (ids.size() < n) {
      assertThat(System.nanoTime()).as("%d of %d records committed before the timeout", ids.size(), n).isLessThan(deadline);
      Thread.sleep(300);
      ids = committedIds(bootstrap, topic);
    }
    return ids;
  }

  @Test
  void aTaskFailureAndASavepointRestartNeitherLoseNorDuplicateRecords(@TempDir Path checkpoints) throws Exception {
    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    List<ImageRecord> images = ImageRecords.fashionMnist(test, 0, 750);
    String bootstrap = pipeline.bootstrapServers();
    String run = Long.toString(System.nanoTime(), 36);
    JobConfig config = config(bootstrap, run, checkpoints, null);
    KafkaBrokerProcess.createTopics(bootstrap, 2, config.inputTopic(), config.outputTopic(), config.deadLetterTopic());

    // Wave 1 committed, then wave 2 with a task failure in its middle.
    FailOnceTokenizerFactory.reset();
    BatchTokenizerFactory onnx = new OnnxTokenizerFactory(TestModels.encoder(), "cpu", 1);
    JobClient job = start(config, new FailOnceTokenizerFactory(onnx, 420));
    produce(bootstrap, config.inputTopic(), images.subList(0, 300));
    awaitCommitted(bootstrap, config.outputTopic(), 300);
    produce(bootstrap, config.inputTopic(), images.subList(300, 600));
    List<String> afterFailure = awaitCommitted(bootstrap, config.outputTopic(), 600);
    assertThat(FailOnceTokenizerFactory.FAILED).isTrue();
    // Recovery resumed from a checkpoint, not from the beginning: wave 1 was not encoded again.
    assertThat(FailOnceTokenizerFactory.ENCODED.get()).isLessThan(600 + 300);

    // Stop with a savepoint, add wave 3 while the job is down, resume from the savepoint.
    String savepoint =
        job.stopWithSavepoint(false, checkpoints.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
            .get(2, TimeUnit.MINUTES);
    produce(bootstrap, config.inputTopic(), images.subList(600, 750));
    JobClient resumed = start(config(bootstrap, run, checkpoints, savepoint), onnx);
    List<String> all;
    try {
      all = awaitCommitted(bootstrap, config.outputTopic(), 750);
      Thread.sleep(1500); // three more checkpoints: a duplicate would be committed by now
      all = committedIds(bootstrap, config.outputTopic());
    } finally {
      resumed.cancel().get(1, TimeUnit.MINUTES);
    }

    assertThat(afterFailure).doesNotHaveDuplicates();
    assertThat(all).hasSize(750).doesNotHaveDuplicates();
    Set<String> expected = images.stream().map(ImageRecord::getImageId).collect(Collectors.toSet());
    assertThat(Set.copyOf(all)).isEqualTo(expected);
  }
}
