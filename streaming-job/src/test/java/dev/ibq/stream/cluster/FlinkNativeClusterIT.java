package dev.ibq.stream.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.embedded.ImageRecords;
import dev.ibq.stream.job.TokenizeJob;
import dev.ibq.stream.tokenize.ModelFile;
import dev.ibq.stream.kafka.AvroRecordSerializer;
import dev.ibq.stream.kafka.AvroTopicReader;
import dev.ibq.stream.kafka.ImageProducer;
import dev.ibq.stream.kafka.KafkaBrokerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntPredicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job behaves like a Flink job on a real standalone cluster (JobManager and TaskManager JVMs on Flink's
 * lib/, a Kafka broker process, real Fashion-MNIST images): what the cluster and the submitter decide is what
 * runs.
 *
 * <ul>
 *   <li>A plain {@code flink run -p 2} (Flink's CliFrontend) of the shaded job jar, from a client class path
 *       without ONNX Runtime, the model given as a {@code file://} URI: every vertex runs at parallelism 2 with
 *       max parallelism 128, at the cluster's checkpoint interval and with the cluster's restart strategy (read
 *       from the JobManager's log line for the job), and the output is exactly-once.
 *   <li>Rescaling 1 -&gt; 2 -&gt; 1 through stop-with-savepoint while images stream in: nothing lost, nothing
 *       duplicated in the read_committed output.
 * </ul>
 */
class FlinkNativeClusterIT {
  private static final Logger LOG = LoggerFactory.getLogger(FlinkNativeClusterIT.class);

  @TempDir static Path tmp;
  private static StandaloneCluster cluster;
  private static Path model;
  private static FashionMnist test;

  @BeforeAll
  static void startCluster() throws Exception {
    model = ProjectPaths.root().resolve("streaming-job/src/test/resources/tokenizer/encoder.onnx");
    test = FashionMnist.load(FashionMnist.Split.TEST);
    cluster = StandaloneCluster.start(tmp.resolve("cluster"), 1, 2);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void plainFlinkRunWithoutOnnxRuntimeOnTheClientRunsWithTheClustersSettings() throws Exception {
    String in = "native.images", out = "native.tokens", dlq = "native.dead-letters";
    KafkaBrokerProcess.createTopics(cluster.bootstrapServers(), 2, in, out, dlq);
    List<ImageRecord> images = ImageRecords.fashionMnist(test, 0, 300);
    produce(in, images, 0);

    // group.id comes from Flink's configuration (flink run -D), not from the job's arguments
    Map<String, String> jobArgs = settings(model.toUri().toString(), in, out, dlq, "native");
    jobArgs.remove(JobConfig.GROUP_ID);
    List<String> args = new ArrayList<>(List.of("-d", "-p", "2", "-D" + JobConfig.GROUP_ID + "=native-from-flink-conf"));
    args.add(ProjectPaths.jobJar().toString());
    args.addAll(FlinkRestClient.programArgs(jobArgs));
    FlinkRun.Outcome run = FlinkRun.run(cluster.spec(), tmp.resolve("flink-run.log"), args);
    LOG.info("flink run exited with {}:\n{}", run.exitCode(), run.output());
    assertThat(run.classPath()).isNotEmpty().noneMatch(j -> j.getFileName().toString().contains("onnxruntime"));
    assertThat(run.output()).doesNotContain("NoClassDefFoundError").doesNotContain("onnxruntime");
    assertThat(run.exitCode()).as("flink run's exit code; its output:\n%s", run.output()).isZero();
    assertThat(run.jobId()).isNotNull();
    String jobId = run.jobId();
    cluster.rest().awaitJobState(jobId, Set.of("RUNNING"), Duration.ofMinutes(2));

    List<FlinkRestClient.Vertex> vertices = cluster.rest().vertices(jobId);
    LOG.info("Vertices: {}", vertices);
    assertThat(vertices).isNotEmpty();
    assertThat(vertices).allSatisfy(v -> {
      assertThat(v.parallelism()).as(v.name()).isEqualTo(2);
      assertThat(v.maxParallelism()).as(v.name()).isEqualTo(TokenizeJob.DEFAULT_MAX_PARALLELISM);
    });
    assertThat(cluster.rest().checkpointIntervalMillis(jobId))
        .as("the cluster's execution.checkpointing.interval")
        .isEqualTo(Duration.ofSeconds(2).toMillis());
    String strategy = restartStrategyLine(jobId);
    assertThat(strategy)
        .as("the cluster's restart-strategy.* settings, as the JobManager applied them to this job")
        .contains("ExponentialDelayRestartBackoffTimeStrategy(initialBackoffMS=1000, maxBackoffMS=10000")
        .contains("resetBackoffThresholdMS=60000");

    List<TokenRecord> tokens = awaitCommitted(out, n -> n >= images.size(), Duration.ofMinutes(3));
    awaitCheckpoints(jobId, 1);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
      // the source commits offsets after a checkpoint completes, asynchronously: poll
      Map<TopicPartition, OffsetAndMetadata> offsets = Map.of();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (offsets.isEmpty() && System.nanoTime() < deadline) {
        offsets = admin.listConsumerGroupOffsets("native-from-flink-conf").partitionsToOffsetAndMetadata().get();
        Thread.sleep(500);
      }
      List<String> groups = admin.listGroups().all().get().stream().map(g -> g.groupId()).toList();
      assertThat(offsets)
          .as("offsets the source committed under the group set with flink run -D (groups on the broker: %s)", groups)
          .isNotEmpty();
    }
    cluster.rest().cancel(jobId);
    assertExactlyOnce(tokens, images);
    Map<String, String> headers = firstRecordHeaders(out);
    assertThat(headers)
        .containsEntry(AvroRecordSerializer.CONTENT_TYPE, AvroRecordSerializer.contentType(TokenRecord.class))
        .containsEntry(AvroRecordSerializer.TOKENIZER_ID, ModelFile.read(model.toString()).metadata().get("ibq.tokenizer_id"));
    assertThat(AvroTopicReader.readAll(cluster.bootstrapServers(), dlq, DeadLetterRecord.class, null, Duration.ofMinutes(1))).isEmpty();
  }

  @Test
  void rescalingOneToTwoToOneThroughSavepointsLosesAndDuplicatesNothing() throws Exception {
    String in = "rescale.images", out = "rescale.tokens", dlq = "rescale.dead-letters";
    KafkaBrokerProcess.createTopics(cluster.bootstrapServers(), 2, in, out, dlq);
    List<ImageRecord> images = ImageRecords.fashionMnist(test, 1000, 900);
    Map<String, String> s = settings(model.toString(), in, out, dlq, "rescale");
    FlinkRestClient rest = cluster.rest();
    String jarId = rest.uploadJar(ProjectPaths.jobJar());
    List<String> args = FlinkRestClient.programArgs(s);

    CompletableFuture<Void> producing = null;
    List<Integer> steps = List.of(1, 2, 1);
    List<Integer> committedAtStop = new ArrayList<>();
    String savepoint = null;
    String jobId = null;
    for (int i = 0; i < steps.size(); i++) {
      int p = steps.get(i);
      jobId = rest.runJar(jarId, null, args, p, savepoint);
      rest.awaitJobState(jobId, Set.of("RUNNING"), Duration.ofMinutes(2));
      assertThat(rest.vertices(jobId)).allSatisfy(v -> assertThat(v.parallelism()).as(v.name()).isEqualTo(p));
      if (producing == null) {
        // 30 images/s (30 s) from now on, so both stops land in the middle of the stream
        producing = CompletableFuture.runAsync(() -> produce(in, images, 30));
      }
      if (i == steps.size() - 1) {
        break;
      }
      int before = committed(out).size();
      awaitCommitted(out, n -> n >= before + 100, Duration.ofMinutes(3));
      savepoint = rest.stopWithSavepoint(jobId, null, false, Duration.ofMinutes(2));
      committedAtStop.add(committed(out).size());
      LOG.info("Stopped the parallelism-{} job {} with savepoint {} at {} committed records", p, jobId, savepoint, committedAtStop.get(i));
    }
    producing.get();
    List<TokenRecord> tokens = awaitCommitted(out, n -> n >= images.size(), Duration.ofMinutes(4));
    awaitCheckpoints(jobId, 2); // a replayed, re-committed transaction would surface as a duplicate now
    tokens = committed(out);
    rest.cancel(jobId);
    LOG.info("Rescale 1 -> 2 -> 1: committed at the stops {}, at the end {} of {} images", committedAtStop, tokens.size(), images.size());
    assertThat(committedAtStop.get(0)).isLessThan(committedAtStop.get(1));
    assertThat(committedAtStop.get(1)).isLessThan(images.size());
    assertExactlyOnce(tokens, images);
  }

  private static Map<String, String> settings(String modelLocation, String in, String out, String dlq, String name) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put(JobConfig.BOOTSTRAP_SERVERS, cluster.bootstrapServers());
    s.put(JobConfig.MODEL, modelLocation);
    s.put(JobConfig.INPUT_TOPIC, in);
    s.put(JobConfig.OUTPUT_TOPIC, out);
    s.put(JobConfig.DEAD_LETTER_TOPIC, dlq);
    s.put(JobConfig.GROUP_ID, name);
    s.put(JobConfig.TRANSACTIONAL_ID_PREFIX, name);
    s.put(JobConfig.STARTING_OFFSETS, "earliest");
    s.put(JobConfig.EXECUTION_PROVIDER, "cpu");
    s.put(JobConfig.ONNX_THREADS, "1");
    return s;
  }

  /** The headers of the first committed record of a topic, as UTF-8 strings. */
  private static Map<String, String> firstRecordHeaders(String topic) {
    Properties p = AvroTopicReader.consumerProperties(cluster.bootstrapServers(), null);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          Map<String, String> h = new LinkedHashMap<>();
          for (Header header : r.headers()) {
            h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
          }
          return h;
        }
      }
    }
    throw new AssertionError("No committed record in " + topic + " within 30 s.");
  }

  /** The JobManager's "Using restart back off time strategy ... for JOB (ID)" line for the job. */
  private static String restartStrategyLine(String jobId) throws Exception {
    for (String line : Files.readAllLines(cluster.spec().logDir().resolve("jobmanager.log"))) {
      if (line.contains("Using restart back off time strategy") && line.contains(jobId)) {
        return line;
      }
    }
    throw new AssertionError("The JobManager log names no restart strategy for job " + jobId + ".");
  }

  private static void produce(String topic, List<ImageRecord> images, double perSecond) {
    try (ImageProducer p = new ImageProducer(cluster.bootstrapServers(), topic, perSecond, null)) {
      for (ImageRecord r : images) {
        p.send(r);
      }
    }
  }

  private static List<TokenRecord> committed(String topic) {
    List<TokenRecord> out = new ArrayList<>();
    for (AvroTopicReader.Entry<TokenRecord> e : AvroTopicReader.readAll(cluster.bootstrapServers(), topic, TokenRecord.class, null, Duration.ofMinutes(1))) {
      assertThat(e.value()).as("undecodable record at offset %d: %s", e.offset(), e.error()).isNotNull();
      out.add(e.value());
    }
    return out;
  }

  private static List<TokenRecord> awaitCommitted(String topic, IntPredicate enough, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<TokenRecord> got = committed(topic);
    while (!enough.test(got.size())) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Only " + got.size() + " token records were committed to " + topic + " within " + timeout + ".");
      }
      Thread.sleep(500);
      got = committed(topic);
    }
    return got;
  }

  private static void awaitCheckpoints(String jobId, int more) throws InterruptedException {
    int target = cluster.rest().completedCheckpoints(jobId) + more;
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (cluster.rest().completedCheckpoints(jobId) < target) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Job " + jobId + " completed no " + more + " further checkpoints within a minute.");
      }
      Thread.sleep(250);
    }
  }

  private static void assertExactlyOnce(List<TokenRecord> tokens, List<ImageRecord> images) {
    Set<String> seen = new HashSet<>();
    List<String> duplicates = new ArrayList<>();
    for (TokenRecord t : tokens) {
      if (!seen.add(t.getImageId())) {
        duplicates.add(t.getImageId());
      }
    }
    assertThat(duplicates).as("duplicated image ids").isEmpty();
    assertThat(seen).containsExactlyInAnyOrderElementsOf(images.stream().map(ImageRecord::getImageId).toList());
    assertThat(tokens).hasSize(images.size());
  }
}
