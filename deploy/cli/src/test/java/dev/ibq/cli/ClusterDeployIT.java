package dev.ibq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.TokenRecords;
import dev.ibq.local.cluster.ProjectPaths;
import dev.ibq.local.cluster.ClusterTopics;
import dev.ibq.local.cluster.StandaloneCluster;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.image.source.ImageRecords;
import dev.ibq.local.kafka.AvroTopicReader;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.training.export.TestExports;
import dev.ibq.training.export.TokenizerExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job on a real standalone Flink cluster: a JobManager and a TaskManager as separate JVMs on the
 * Maven-resolved Flink lib/ (ONNX Runtime included there, not in the job jar), a Kafka broker process,
 * the job jar submitted over REST by {@link SubmitCommand}, real Fashion-MNIST images.
 *
 * <ul>
 *   <li>Exactly-once across a crash: the TaskManager process is SIGKILLed mid-stream and a new one started;
 *       the job restarts from its last checkpoint in the new JVM, and the committed output holds every
 *       image exactly once, with tokens equal to OnnxTokenizer's direct encode.
 *   <li>Model upgrade: {@link SavepointCommand} stop-with-savepoint mid-stream, then {@link SubmitCommand}
 *       with a second model from the savepoint, in a new user-code class loader on the SAME TaskManager
 *       JVM (the case where an ONNX Runtime bundled in the job jar would fail to load its JNI library).
 * </ul>
 */
class ClusterDeployIT {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterDeployIT.class);

  @TempDir static Path tmp;
  private static StandaloneCluster cluster;
  private static ClusterTopics topics;
  private static Path modelA;
  private static FashionMnist test;

  @BeforeAll
  static void startCluster() throws Exception {
    modelA = ProjectPaths.root().resolve("deploy/models/fmnist-small/encoder.onnx");
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
  void taskManagerKilledMidStreamLosesAndDuplicatesNothing() throws Exception {
    String in = "it.images.crash", out = "it.tokens.crash", dlq = "it.dead-letters.crash";
    List<ImageRecord> images = ImageRecords.fashionMnist(test, 0, 1200);
    KafkaBrokerProcess.createTopics(cluster.bootstrapServers(), 1, in, out, dlq);

    String jobId = submit(modelA, in, out, dlq, "it-crash", null);
    long tmBefore = cluster.taskManagerPids().get(0);
    // A steady stream (about 10 s), so the crash lands in the middle of it.
    CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> topics.produce(in, images, 120));

    topics.awaitCommitted(out, n -> n >= 150, Duration.ofMinutes(3));
    int beforeKill = topics.committed(out).size();
    cluster.killTaskManager(tmBefore);
    long tmAfter = cluster.startTaskManager();
    producing.get();

    List<TokenRecord> tokens = topics.awaitCommitted(out, n -> n >= images.size(), Duration.ofMinutes(4));
    // Two more checkpoints: a duplicate from a replayed, re-committed transaction would show up now.
    topics.awaitCheckpoints(jobId, 2);
    tokens = topics.committed(out);
    int failures = cluster.rest().failures(jobId);
    LOG.info("Crash test: {} committed before the kill, {} after; failures/restarts {}", beforeKill, tokens.size(), failures);

    assertThat(beforeKill).isLessThan(images.size());
    assertThat(tmAfter).isNotEqualTo(tmBefore);
    assertThat(failures).as("the job noticed the lost TaskManager and restarted").isGreaterThanOrEqualTo(1);
    assertThat(cluster.rest().jobState(jobId)).isEqualTo("RUNNING");
    ClusterTopics.assertExactlyOnce(tokens, images);
    Map<String, int[]> expected = encodeDirectly(modelA, images);
    for (TokenRecord t : tokens) {
      assertThat(TokenRecords.tokens(t)).as(t.getImageId()).isEqualTo(expected.get(t.getImageId()));
    }
    assertThat(AvroTopicReader.readAll(cluster.bootstrapServers(), dlq, dev.ibq.schemas.DeadLetterRecord.class, null, Duration.ofMinutes(1))).isEmpty();
    CancelCommand.run(cluster.rest().baseUrl(), jobId);
  }

  @Test
  void modelUpgradeByStopWithSavepointSwitchesTokenizerAtOneCleanBoundary() throws Exception {
    String in = "it.images.upgrade", out = "it.tokens.upgrade", dlq = "it.dead-letters.upgrade";
    // Model B: another export (other weights, seed 43, and another geometry: 16x16 tokens, K = 64) with
    // the same preprocessing, so images pending in the savepoint are valid input for it.
    TokenizerExporter.Exported b = TestExports.small(Files.createDirectories(tmp.resolve("model-b")), 43);
    Path modelB = b.encoder();
    List<ImageRecord> images = ImageRecords.fashionMnist(test, 2000, 800);
    KafkaBrokerProcess.createTopics(cluster.bootstrapServers(), 1, in, out, dlq);

    topics.produce(in, images.subList(0, 300), 0);
    long taskManager = cluster.taskManagerPids().get(0);
    String jobA = submit(modelA, in, out, dlq, "it-upgrade", null);
    topics.awaitCommitted(out, n -> n >= 300, Duration.ofMinutes(3));
    // 500 more at 50/s (10 s): the stop below lands in the middle of them even on a loaded machine.
    CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> topics.produce(in, images.subList(300, images.size()), 50));
    Thread.sleep(1500); // stop in the middle of the paced part

    SavepointCommand.Result sp = SavepointCommand.run(cluster.rest().baseUrl(), jobA, true, false, null, Duration.ofMinutes(2));
    assertThat(sp.stopped()).isTrue();
    assertThat(sp.jobState()).isEqualTo("FINISHED");
    int committedByA = topics.committed(out).size();
    String jobB = submit(modelB, in, out, dlq, "it-upgrade", sp.location());
    producing.get();
    List<TokenRecord> tokens = topics.awaitCommitted(out, n -> n >= images.size(), Duration.ofMinutes(3));
    topics.awaitCheckpoints(jobB, 2);
    tokens = topics.committed(out);
    // Both jobs ran in the same TaskManager JVM, each in its own user-code class loader. ONNX Runtime
    // comes from Flink's lib/, so its native library is mapped once. (Bundled in the job jar, each class
    // loader extracts and maps another copy, found by hand: two after one upgrade, with the CUDA provider
    // ~400 MB of native code per copy.)
    assertThat(cluster.taskManagerPids()).containsExactly(taskManager);
    if (Files.isReadable(Path.of("/proc/" + taskManager + "/maps"))) {
      assertThat(loadedOnnxRuntimeLibraries(taskManager)).as("libonnxruntime.so copies mapped in the TaskManager").hasSize(1);
    }
    CancelCommand.run(cluster.rest().baseUrl(), jobB);

    String idA = tokenizerId(modelA), idB = tokenizerId(modelB);
    assertThat(idA).isNotEqualTo(idB);
    ClusterTopics.assertExactlyOnce(tokens, images);
    // One partition in, one out, parallelism 1: topic order is input order. The switch is one index.
    int firstB = -1;
    for (int i = 0; i < tokens.size(); i++) {
      if (tokens.get(i).getTokenizerId().equals(idB)) {
        firstB = i;
        break;
      }
    }
    LOG.info("Upgrade: {} records committed by job A before the switch; first record of model B at offset {}", committedByA, firstB);
    assertThat(firstB).isPositive().isLessThan(images.size());
    assertThat(firstB).isGreaterThanOrEqualTo(300).isEqualTo(committedByA);
    for (int i = 0; i < tokens.size(); i++) {
      assertThat(tokens.get(i).getTokenizerId()).as("record %d", i).isEqualTo(i < firstB ? idA : idB);
      assertThat(tokens.get(i).getImageId()).as("record %d", i).isEqualTo(images.get(i).getImageId());
    }
    Map<String, int[]> byA = encodeDirectly(modelA, images.subList(0, firstB));
    Map<String, int[]> byB = encodeDirectly(modelB, images.subList(firstB, images.size()));
    for (TokenRecord t : tokens) {
      int[] expected = t.getTokenizerId().equals(idA) ? byA.get(t.getImageId()) : byB.get(t.getImageId());
      assertThat(TokenRecords.tokens(t)).as(t.getImageId()).isEqualTo(expected);
    }
    assertThat(tokens.get(tokens.size() - 1).getGridHeight()).isEqualTo(16);
    assertThat(tokens.get(0).getGridHeight()).isEqualTo(8);
  }

  private static String submit(Path model, String in, String out, String dlq, String name, String savepoint) {
    Map<String, String> s = topics.exactlyOnceJob(in, out, dlq, name);
    s.put(JobConfig.MODEL, model.toString());
    SubmitCommand.Result r = SubmitCommand.run(cluster.rest().baseUrl(), ProjectPaths.jobJar(), s, 1, savepoint, 0);
    cluster.rest().awaitJobState(r.jobId(), Set.of("RUNNING"), Duration.ofMinutes(2));
    LOG.info("Submitted job {} ({} -> {}, model {}{})", r.jobId(), in, out, model.getFileName(), savepoint == null ? "" : ", from " + savepoint);
    return r.jobId();
  }











  /** Distinct files named libonnxruntime.so mapped into a process (Linux /proc). */
  private static Set<String> loadedOnnxRuntimeLibraries(long pid) throws java.io.IOException {
    Set<String> paths = new HashSet<>();
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
      if (line.endsWith("/libonnxruntime.so")) {
        paths.add(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return paths;
  }

  private static String tokenizerId(Path encoder) throws Exception {
    try (OnnxTokenizer t = OnnxTokenizer.open(encoder, OnnxTokenizer.Options.cpu(1))) {
      return t.info().tokenizerId();
    }
  }

  /** What the {@code encode} CLI does: the shared Preprocessor on the same PNG bytes, then OnnxTokenizer. */
  private static Map<String, int[]> encodeDirectly(Path encoder, List<ImageRecord> images) throws Exception {
    Map<String, int[]> out = new HashMap<>();
    try (OnnxTokenizer tokenizer = OnnxTokenizer.open(encoder, OnnxTokenizer.Options.cpu(1))) {
      Preprocessor pre = new Preprocessor(PreprocessingSpec.parse(tokenizer.info().preprocessingDescriptor()));
      int per = tokenizer.info().valuesPerImage();
      int batch = 64;
      for (int from = 0; from < images.size(); from += batch) {
        int n = Math.min(batch, images.size() - from);
        float[] x = new float[n * per]; // (B, C, H, W)
        for (int i = 0; i < n; i++) {
          float[] one = pre.decodeAndApply(ImageRecords.bytes(images.get(from + i)), DecodeLimits.defaults());
          System.arraycopy(one, 0, x, i * per, per);
        }
        int[][] tokens = tokenizer.encode(x, n);
        for (int i = 0; i < n; i++) {
          out.put(images.get(from + i).getImageId(), tokens[i]);
        }
      }
    }
    return out;
  }
}
