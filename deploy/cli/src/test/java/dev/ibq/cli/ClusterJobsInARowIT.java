package dev.ibq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.HostileImages;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.local.cluster.ProjectPaths;
import dev.ibq.local.cluster.ClusterTopics;
import dev.ibq.local.cluster.StandaloneCluster;
import dev.ibq.image.source.ImageRecords;
import dev.ibq.local.kafka.AvroTopicReader;
import dev.ibq.local.kafka.ImageProducer;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two jobs in a row on one TaskManager JVM of a real standalone cluster. The first job gets PNG images
 * (decoded by the JDK, so the TwelveMonkeys reader classes in its class loader are never loaded) and is
 * cancelled, so Flink closes its user-code class loader; the second job, in a new class loader in the
 * same JVM, gets JPEG and lossless WebP images (TwelveMonkeys readers). With readers taken from ImageIO's
 * JVM-wide registry, the second job could be handed the first job's plugins, whose reader classes can no
 * longer be loaded (NoClassDefFoundError), and restarted until it failed.
 */
class ClusterJobsInARowIT {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterJobsInARowIT.class);

  @TempDir static Path tmp;
  private static StandaloneCluster cluster;
  private static List<ImageRecord> pngs;
  private static List<ImageRecord> jpegsAndWebps;

  @BeforeAll
  static void startCluster() throws Exception {
    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    pngs = ImageRecords.fashionMnist(test, 100, 60);
    jpegsAndWebps = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      BufferedImage gray = test.image(i);
      BufferedImage rgb = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
      rgb.getGraphics().drawImage(gray, 0, 0, null);
      byte[] encoded = i % 2 == 0
          ? HostileImages.encode(rgb, "jpeg")
          : HostileImages.losslessWebp(28, 28, 0, 255, (x, y) -> gray.getRaster().getSample(x, y, 0) > 100);
      jpegsAndWebps.add(ImageRecord.newBuilder().setImageId((i % 2 == 0 ? "jpeg-" : "webp-") + i).setImage(ByteBuffer.wrap(encoded))
          .setContentType(i % 2 == 0 ? "image/jpeg" : "image/webp").setLabel(test.label(i)).setSourceUri(null)
          .setEventTime(Instant.now()).setAttributes(Map.of()).build());
    }
    cluster = StandaloneCluster.start(tmp.resolve("cluster"), 1, 2);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aSecondJobOnTheSameTaskManagerDecodesJpegAndWebp() throws Exception {
    long taskManager = cluster.taskManagerPids().get(0);
    for (String run : List.of("first", "second")) {
      List<ImageRecord> images = run.equals("first") ? pngs : jpegsAndWebps;
      String in = "it.images." + run, out = "it.tokens." + run, dlq = "it.dead-letters." + run;
      KafkaBrokerProcess.createTopics(cluster.bootstrapServers(), 1, in, out, dlq);
      try (ImageProducer p = new ImageProducer(cluster.bootstrapServers(), in, 0, null)) {
        images.forEach(p::send);
      }
      String jobId = submit(in, out, dlq, "it-in-a-row-" + run);
      List<TokenRecord> tokens = awaitCommitted(out, images.size(), Duration.ofMinutes(3), jobId);
      int failures = cluster.rest().failures(jobId);
      List<AvroTopicReader.Entry<DeadLetterRecord>> dead =
          AvroTopicReader.readAll(cluster.bootstrapServers(), dlq, DeadLetterRecord.class, null, Duration.ofSeconds(30));
      LOG.info("{} job {}: {} token records, {} dead letters, {} failures", run, jobId, tokens.size(), dead.size(), failures);
      assertThat(failures).as("%s job: task failures (restarts)", run).isZero();
      assertThat(dead).as("%s job: dead letters", run).isEmpty();
      assertThat(tokens).extracting(TokenRecord::getImageId)
          .containsExactlyInAnyOrderElementsOf(images.stream().map(ImageRecord::getImageId).toList());
      CancelCommand.run(cluster.rest().baseUrl(), jobId);
      cluster.rest().awaitJobState(jobId, Set.of("CANCELED"), Duration.ofMinutes(1));
    }
    assertThat(cluster.taskManagerPids()).as("both jobs ran in the same TaskManager JVM").containsExactly(taskManager);
  }

  private static String submit(String in, String out, String dlq, String name) {
    Map<String, String> s = new ClusterTopics(cluster).exactlyOnceJob(in, out, dlq, name);
    SubmitCommand.Result r = SubmitCommand.run(cluster.rest().baseUrl(), ProjectPaths.jobJar(), s, 1, null, 0);
    cluster.rest().awaitJobState(r.jobId(), Set.of("RUNNING"), Duration.ofMinutes(2));
    return r.jobId();
  }

  private static List<TokenRecord> awaitCommitted(String topic, int n, Duration timeout, String jobId) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<TokenRecord> got = new ArrayList<>();
      for (AvroTopicReader.Entry<TokenRecord> e : AvroTopicReader.readAll(cluster.bootstrapServers(), topic, TokenRecord.class, null, Duration.ofSeconds(30))) {
        got.add(e.value());
      }
      if (got.size() >= n) {
        return got;
      }
      if (System.nanoTime() > deadline || cluster.rest().failures(jobId) > 0) {
        throw new AssertionError("Only " + got.size() + " of " + n + " token records were committed to " + topic
            + "; the job (" + cluster.rest().jobState(jobId) + ") failed " + cluster.rest().failures(jobId) + " times.");
      }
      Thread.sleep(500);
    }
  }
}
