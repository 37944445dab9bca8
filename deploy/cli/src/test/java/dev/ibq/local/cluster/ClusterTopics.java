package dev.ibq.local.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.local.kafka.AvroTopicReader;
import dev.ibq.local.kafka.ImageProducer;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.stream.config.JobConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * What the standalone-cluster ITs do with the cluster's broker and REST API: produce image records, read the
 * committed token records (read_committed), wait for records and checkpoints, and check exactly-once delivery.
 */
public final class ClusterTopics {
  private final StandaloneCluster cluster;

  public ClusterTopics(StandaloneCluster cluster) {
    this.cluster = cluster;
  }

  /** Sends {@code images} to {@code topic} at {@code perSecond} (0: as fast as possible). */
  public void produce(String topic, List<ImageRecord> images, double perSecond) {
    try (ImageProducer p = new ImageProducer(cluster.bootstrapServers(), topic, perSecond, null)) {
      for (ImageRecord r : images) {
        p.send(r);
      }
    }
  }

  /** Every committed token record of {@code topic}; an undecodable one fails the test. */
  public List<TokenRecord> committed(String topic) {
    List<TokenRecord> out = new ArrayList<>();
    for (AvroTopicReader.Entry<TokenRecord> e : AvroTopicReader.readAll(cluster.bootstrapServers(), topic, TokenRecord.class, null, Duration.ofMinutes(1))) {
      assertThat(e.value()).as("undecodable record at offset %d: %s", e.offset(), e.error()).isNotNull();
      out.add(e.value());
    }
    return out;
  }

  /** The committed token records once their count satisfies {@code enough}; fails after {@code timeout}. */
  public List<TokenRecord> awaitCommitted(String topic, IntPredicate enough, Duration timeout) throws InterruptedException {
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

  /** Waits (at most a minute) until job {@code jobId} has completed {@code more} further checkpoints. */
  public void awaitCheckpoints(String jobId, int more) throws InterruptedException {
    FlinkRestClient rest = cluster.rest();
    int target = rest.completedCheckpoints(jobId) + more;
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (rest.completedCheckpoints(jobId) < target) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Job " + jobId + " completed no " + more + " further checkpoints within a minute.");
      }
      Thread.sleep(250);
    }
  }

  /**
   * The job settings of an exactly-once run on the committed test tokenizer (1 s checkpoints, CPU, one ONNX thread):
   * consumer group and transactional id prefix are {@code name}.
   */
  public Map<String, String> exactlyOnceJob(String in, String out, String dlq, String name) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put(JobConfig.BOOTSTRAP_SERVERS, cluster.bootstrapServers());
    s.put(JobConfig.MODEL, ProjectPaths.root().resolve("deploy/models/fmnist-small/encoder.onnx").toString());
    s.put(JobConfig.INPUT_TOPIC, in);
    s.put(JobConfig.OUTPUT_TOPIC, out);
    s.put(JobConfig.DEAD_LETTER_TOPIC, dlq);
    s.put(JobConfig.GROUP_ID, name);
    s.put(JobConfig.TRANSACTIONAL_ID_PREFIX, name);
    s.put(JobConfig.STARTING_OFFSETS, "earliest");
    s.put(JobConfig.CHECKPOINT_INTERVAL_MS, "1000");
    s.put(JobConfig.EXECUTION_PROVIDER, "cpu");
    s.put(JobConfig.ONNX_THREADS, "1");
    return s;
  }

  /** One token record per image: no image id twice, none missing, none extra. */
  public static void assertExactlyOnce(List<TokenRecord> tokens, List<ImageRecord> images) {
    Set<String> seen = new HashSet<>();
    List<String> duplicates = new ArrayList<>();
    for (TokenRecord t : tokens) {
      if (!seen.add(t.getImageId())) {
        duplicates.add(t.getImageId());
      }
    }
    assertThat(duplicates).as("duplicated image ids").isEmpty();
    assertThat(tokens).hasSize(images.size());
    assertThat(seen).containsExactlyInAnyOrderElementsOf(images.stream().map(ImageRecord::getImageId).toList());
  }
}
