package dev.ibq.local.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.image.source.ImageRecords;
import dev.ibq.stream.job.TokenizeJob;
import dev.ibq.stream.tokenize.ModelFile;
import dev.ibq.stream.kafka.AvroRecordSerializer;
import dev.ibq.local.kafka.AvroTopicReader;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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
 *   <li>Four TaskManager SIGKILLs 15 s apart (each replacement killed once registered) under the cluster's
 *       exponential-delay strategy: the job ends up RUNNING and its output is exactly-once.
 * </ul>
 */
class FlinkNativeClusterIT {
  private static final Logger LOG = LoggerFactory.getLogger(FlinkNativeClusterIT.class);

  @TempDir static Path tmp;
  private static StandaloneCluster cluster;
  private static ClusterTopics topics;
  private static Path model;
  private static FashionMnist test;

  @BeforeAll
  static void startCluster() throws Exception {
    model = ProjectPaths.root().resolve("deploy/models/fmnist-small/encoder.onnx");
    test = FashionMnist.load(FashionMnist.Split.TEST);
    cluster = StandaloneCluster.start(tmp.resolve("cluster"), 1, 2);
    topics = new ClusterTopics(cluster);
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
    List<ImageRecord> images = new ArrayList<>(ImageRecords.fashionMnist(test, 0, 300));
    topics.produce(in, images, 0);
    // two records with headers: an image (its token record carries them) and garbage (its dead letter does)
    ImageRecord traced = ImageRecords.fashionMnist(test, 300, 1).get(0);
    images.add(traced);
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()))) {
      ProducerRecord<byte[], byte[]> image = new ProducerRecord<>(in, null, traced.getImageId().getBytes(StandardCharsets.UTF_8),
          AvroCodec.forClass(ImageRecord.class).encode(traced));
      image.headers().add("trace-id", "t-image".getBytes(StandardCharsets.UTF_8)).add("content-type", "image/png".getBytes(StandardCharsets.UTF_8));
      ProducerRecord<byte[], byte[]> garbage = new ProducerRecord<>(in, null, "garbage".getBytes(StandardCharsets.UTF_8),
          "not an image record".getBytes(StandardCharsets.UTF_8));
      garbage.headers().add("trace-id", "t-garbage".getBytes(StandardCharsets.UTF_8));
      p.send(image).get();
      p.send(garbage).get();
    }

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

    List<TokenRecord> tokens = topics.awaitCommitted(out, n -> n >= images.size(), Duration.ofMinutes(3));
    topics.awaitCheckpoints(jobId, 1);
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
    ClusterTopics.assertExactlyOnce(tokens, images);
    String tokenizerId = ModelFile.read(model.toString()).metadata().get("ibq.tokenizer_id");
    Map<String, Map<String, String>> tokenHeaders = recordHeaders(out);
    assertThat(tokenHeaders.get(images.get(0).getImageId()))
        .containsExactly(
            Map.entry(AvroRecordSerializer.TOKENIZER_ID, tokenizerId),
            Map.entry(AvroRecordSerializer.CONTENT_TYPE, AvroRecordSerializer.contentType(TokenRecord.class)));
    // the input's headers come first; its content-type is the job's now (one per name)
    assertThat(tokenHeaders.get(traced.getImageId()))
        .containsExactly(
            Map.entry("trace-id", "t-image"),
            Map.entry(AvroRecordSerializer.TOKENIZER_ID, tokenizerId),
            Map.entry(AvroRecordSerializer.CONTENT_TYPE, AvroRecordSerializer.contentType(TokenRecord.class)));
    TokenRecord tracedTokens = tokens.stream().filter(t -> t.getImageId().equals(traced.getImageId())).findFirst().orElseThrow();
    assertThat(utf8(tracedTokens.getKafkaHeaders())).containsEntry("trace-id", "t-image").containsEntry("content-type", "image/png");

    List<AvroTopicReader.Entry<DeadLetterRecord>> dead =
        AvroTopicReader.readAll(cluster.bootstrapServers(), dlq, DeadLetterRecord.class, null, Duration.ofMinutes(1));
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).value().getErrorCode()).isEqualTo(dev.ibq.schemas.ErrorCode.UNDECODABLE_RECORD);
    assertThat(utf8(dead.get(0).value().getKafkaHeaders())).containsExactly(Map.entry("trace-id", "t-garbage"));
    assertThat(recordHeaders(dlq).values().iterator().next())
        .containsExactly(
            Map.entry("trace-id", "t-garbage"),
            Map.entry(AvroRecordSerializer.TOKENIZER_ID, tokenizerId),
            Map.entry(AvroRecordSerializer.CONTENT_TYPE, AvroRecordSerializer.contentType(DeadLetterRecord.class)));
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
        // 20 images/s (45 s) from now on, so both stops land in the middle of the stream even on a loaded machine
        producing = CompletableFuture.runAsync(() -> topics.produce(in, images, 20));
      }
      if (i == steps.size() - 1) {
        break;
      }
      int before = topics.committed(out).size();
      topics.awaitCommitted(out, n -> n >= before + 100, Duration.ofMinutes(3));
      savepoint = rest.stopWithSavepoint(jobId, null, false, Duration.ofMinutes(2));
      committedAtStop.add(topics.committed(out).size());
      LOG.info("Stopped the parallelism-{} job {} with savepoint {} at {} committed records", p, jobId, savepoint, committedAtStop.get(i));
    }
    producing.get();
    List<TokenRecord> tokens = topics.awaitCommitted(out, n -> n >= images.size(), Duration.ofMinutes(4));
    topics.awaitCheckpoints(jobId, 2); // a replayed, re-committed transaction would surface as a duplicate now
    tokens = topics.committed(out);
    rest.cancel(jobId);
    LOG.info("Rescale 1 -> 2 -> 1: committed at the stops {}, at the end {} of {} images", committedAtStop, tokens.size(), images.size());
    assertThat(committedAtStop.get(0)).isLessThan(committedAtStop.get(1));
    assertThat(committedAtStop.get(1)).isLessThan(images.size());
    ClusterTopics.assertExactlyOnce(tokens, images);
  }

  @Test
  void aModelShippedWithTheJobIsReadFromFlinksDistributedCacheNotFromTheClientsPath() throws Exception {
    String in = "ship.images", out = "ship.tokens", dlq = "ship.dead-letters";
    KafkaBrokerProcess.createTopics(cluster.bootstrapServers(), 1, in, out, dlq);
    List<ImageRecord> images = ImageRecords.fashionMnist(test, 5000, 60);
    topics.produce(in, images, 0);
    Path clientOnly = Files.copy(model, Files.createDirectories(tmp.resolve("client-only")).resolve("encoder.onnx"));
    Map<String, String> s = settings(clientOnly.toString(), in, out, dlq, "ship");
    s.put(JobConfig.MODEL_SHIP, "true");
    List<String> args = new ArrayList<>(List.of("-d", ProjectPaths.jobJar().toString()));
    args.addAll(FlinkRestClient.programArgs(s));
    FlinkRun.Outcome run = FlinkRun.run(cluster.spec(), tmp.resolve("flink-run-ship.log"), args);
    assertThat(run.exitCode()).as("flink run's exit code; its output:\n%s", run.output()).isZero();
    Files.delete(clientOnly); // from now on only the copy Flink shipped exists
    cluster.rest().awaitJobState(run.jobId(), Set.of("RUNNING"), Duration.ofMinutes(2));
    List<TokenRecord> tokens = topics.awaitCommitted(out, n -> n >= images.size(), Duration.ofMinutes(3));
    cluster.rest().cancel(run.jobId());
    ClusterTopics.assertExactlyOnce(tokens, images);
    String taskManagerLogs = taskManagerLogs();
    assertThat(taskManagerLogs).contains("shipped with the job, from the distributed cache at");
    assertThat(taskManagerLogs).doesNotContain("Model " + clientOnly.toUri() + " found in")
        .doesNotContain("at " + clientOnly + " on ");
  }

  /**
   * Issue 14 (3): the cluster's restart strategy, with no lifetime cap, carries the job through four
   * TaskManager SIGKILLs 15 s apart (later when the machine is slow: each kill waits until the job has committed
   * new records since the previous one, so that every kill interrupts a running job).
   */
  @Test
  void fourTaskManagerKillsInAMinuteLeaveTheJobRunningAndItsOutputExactlyOnce() throws Exception {
    String in = "kills.images", out = "kills.tokens", dlq = "kills.dead-letters";
    KafkaBrokerProcess.createTopics(cluster.bootstrapServers(), 1, in, out, dlq);
    List<ImageRecord> images = ImageRecords.fashionMnist(test, 3000, 1500);
    FlinkRestClient rest = cluster.rest();
    String jobId = rest.runJar(rest.uploadJar(ProjectPaths.jobJar()), null,
        FlinkRestClient.programArgs(settings(model.toString(), in, out, dlq, "kills")), 1, null);
    rest.awaitJobState(jobId, Set.of("RUNNING"), Duration.ofMinutes(2));
    CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> topics.produce(in, images, 30)); // ~50 s
    topics.awaitCommitted(out, n -> n >= 100, Duration.ofMinutes(3));

    long first = System.nanoTime();
    List<Long> killedAtMillis = new ArrayList<>();
    int committedBefore = 0;
    for (int kill = 0; kill < 4; kill++) {
      long due = first + Duration.ofSeconds(15L * kill).toNanos();
      while (System.nanoTime() < due) {
        Thread.sleep(100);
      }
      // Each kill must hit a job that is processing on that TaskManager: on a loaded machine a replacement can
      // still be waiting for its tasks when the next kill is due, and killing it then costs the job only a slot.
      int before = committedBefore;
      committedBefore = topics.awaitCommitted(out, n -> n > before, Duration.ofMinutes(3)).size();
      cluster.killTaskManager(cluster.taskManagerPids().get(0));
      killedAtMillis.add((System.nanoTime() - first) / 1_000_000);
      cluster.startTaskManager(); // waits until the replacement is registered
    }
    producing.get();
    List<TokenRecord> tokens = topics.awaitCommitted(out, n -> n >= images.size(), Duration.ofMinutes(5));
    topics.awaitCheckpoints(jobId, 2);
    tokens = topics.committed(out);
    String state = rest.jobState(jobId);
    int failures = rest.failures(jobId);
    LOG.info("4 TaskManager kills at {} ms: job {} is {} after {} failures; {} of {} images committed",
        killedAtMillis, jobId, state, failures, tokens.size(), images.size());
    rest.cancel(jobId);
    assertThat(killedAtMillis).hasSize(4);
    assertThat(state).isEqualTo("RUNNING");
    assertThat(failures).as("failures the job went through").isGreaterThanOrEqualTo(4);
    ClusterTopics.assertExactlyOnce(tokens, images);
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

  /** The headers of every committed record of a topic by record key, as UTF-8 strings in header order. */
  private static Map<String, Map<String, String>> recordHeaders(String topic) {
    Map<String, Map<String, String>> byKey = new LinkedHashMap<>();
    Properties p = AvroTopicReader.consumerProperties(cluster.bootstrapServers(), null);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          Map<String, String> h = new LinkedHashMap<>();
          for (Header header : r.headers()) {
            h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
          }
          byKey.put(r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8), h);
        }
      }
    }
    return byKey;
  }

  private static Map<String, String> utf8(Map<String, java.nio.ByteBuffer> headers) {
    Map<String, String> m = new LinkedHashMap<>();
    headers.forEach((k, v) -> m.put(k, StandardCharsets.UTF_8.decode(v.duplicate()).toString()));
    return m;
  }

  private static String taskManagerLogs() throws Exception {
    StringBuilder b = new StringBuilder();
    try (var logs = Files.newDirectoryStream(cluster.spec().logDir(), "taskmanager-*.log")) {
      for (Path log : logs) {
        b.append(Files.readString(log));
      }
    }
    return b.toString();
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










}
