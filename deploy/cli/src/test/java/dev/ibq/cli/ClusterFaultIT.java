package dev.ibq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.local.cluster.ProjectPaths;
import dev.ibq.local.cluster.ClusterTopics;
import dev.ibq.local.cluster.StandaloneCluster;
import dev.ibq.image.source.ImageRecords;
import dev.ibq.local.kafka.AvroTopicReader;
import dev.ibq.local.kafka.ImageProducer;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
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
 * Fault injection on a real standalone cluster under load: while images stream in (once the job has
 * committed its first 200 records), the TaskManager running the job is SIGKILLed four times within 40 s
 * (a new one started after each kill), and then the broker is SIGKILLed and restarted after 3 s,
 * under the restart strategy of the cluster's own configuration. A read_committed consumer then counts
 * duplicates and losses among the committed token records: both must be zero, and the job RUNNING.
 */
class ClusterFaultIT {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterFaultIT.class);
  private static final int KILLS = 4;

  @TempDir static Path tmp;
  private static StandaloneCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = StandaloneCluster.start(tmp.resolve("cluster"), 1, 2);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void fourTaskManagerKillsInAMinuteAndABrokerKillLoseAndDuplicateNothing() throws Exception {
    List<ImageRecord> images = ImageRecords.fashionMnist(FashionMnist.load(FashionMnist.Split.TEST), 0, 4000);
    String in = "it.images.fault", out = "it.tokens.fault", dlq = "it.dead-letters.fault";
    KafkaBrokerProcess.createTopics(cluster.bootstrapServers(), 1, in, out, dlq);
    String jobId = submit(in, out, dlq);
    // About 65 s of input at 60 images/s: the kills land while it streams.
    CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> {
      try (ImageProducer p = new ImageProducer(cluster.bootstrapServers(), in, 60, null)) {
        images.forEach(p::send);
      }
    });
    long startDeadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (committedCount(out) < 200) {
      assertThat(System.nanoTime()).as("the job committed 200 records within 3 minutes").isLessThan(startDeadline);
      Thread.sleep(500);
    }
    long t0 = System.nanoTime();
    long taskManager = cluster.taskManagerPids().get(0);
    for (int k = 0; k < KILLS; k++) {
      if (k > 0) {
        Thread.sleep(13_000);
      }
      cluster.killTaskManager(taskManager);
      taskManager = cluster.startTaskManager();
      LOG.info("Kill {} of {} at {} s: committed so far {}", k + 1, KILLS, (System.nanoTime() - t0) / 1_000_000_000,
          committedCount(out));
    }
    long killSeconds = (System.nanoTime() - t0) / 1_000_000_000;
    Thread.sleep(8_000);
    int beforeBrokerKill = committedCount(out);
    cluster.broker().killAndRestart(Duration.ofSeconds(3));
    LOG.info("Broker killed and restarted; committed before the kill {}", beforeBrokerKill);
    producing.get();

    long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
    Map<String, Integer> read = counts(out);
    while (read.size() < images.size() && System.nanoTime() < deadline) {
      Thread.sleep(1000);
      read = counts(out);
    }
    Map<String, Integer> counts = read;
    int committed = counts.values().stream().mapToInt(Integer::intValue).sum();
    long duplicates = counts.values().stream().filter(c -> c > 1).mapToLong(c -> c - 1).sum();
    long losses = images.stream().filter(r -> !counts.containsKey(r.getImageId())).count();
    int failures = cluster.rest().failures(jobId);
    String state = cluster.rest().jobState(jobId);
    LOG.info("Fault test: {} TaskManager kills in {} s, then a broker kill; records in {}, token records committed {},"
        + " duplicates {}, losses {}; job failures/restarts {}, state {}", KILLS, killSeconds, images.size(), committed,
        duplicates, losses, failures, state);
    System.out.printf("Fault test: %d TaskManager kills in %d s, then a broker kill (%d committed before it); records in"
        + " %d, committed %d, duplicates %d, losses %d; restarts %d, state %s%n", KILLS, killSeconds, beforeBrokerKill,
        images.size(), committed, duplicates, losses, failures, state);
    assertThat(killSeconds).isLessThanOrEqualTo(60);
    assertThat(failures).as("the job noticed every lost TaskManager").isGreaterThanOrEqualTo(KILLS);
    assertThat(state).isEqualTo("RUNNING");
    assertThat(duplicates).as("duplicates").isZero();
    assertThat(losses).as("losses").isZero();
    CancelCommand.run(cluster.rest().baseUrl(), jobId);
  }

  private static String submit(String in, String out, String dlq) {
    Map<String, String> s = new ClusterTopics(cluster).exactlyOnceJob(in, out, dlq, "it-fault");
    SubmitCommand.Result r = SubmitCommand.run(cluster.rest().baseUrl(), ProjectPaths.jobJar(), s, 1, null, 0);
    cluster.rest().awaitJobState(r.jobId(), Set.of("RUNNING"), Duration.ofMinutes(2));
    return r.jobId();
  }

  private static int committedCount(String topic) {
    return counts(topic).values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Committed token records per image id (AvroTopicReader reads read_committed). */
  private static Map<String, Integer> counts(String topic) {
    Map<String, Integer> counts = new HashMap<>();
    for (AvroTopicReader.Entry<TokenRecord> e : AvroTopicReader.readAll(cluster.bootstrapServers(), topic, TokenRecord.class, null, Duration.ofSeconds(30))) {
      assertThat(e.value()).as("undecodable record at offset %d: %s", e.offset(), e.error()).isNotNull();
      counts.merge(e.value().getImageId(), 1, Integer::sum);
    }
    return counts;
  }
}
