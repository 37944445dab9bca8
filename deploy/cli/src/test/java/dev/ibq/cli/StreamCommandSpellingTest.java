package dev.ibq.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.stream.config.JobConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** One spelling per concept in the stream commands: -s like flink run, --kafka for client properties. */
class StreamCommandSpellingTest {

  @Test
  void streamTakesTheSavepointAsFlinksDashSAndKafkaPropertiesAsDashDashKafka() {
    StreamCommand c = new StreamCommand();
    new CommandLine(c).parseArgs(
        "--bootstrap", "b:9092", "--model", "/m/encoder.onnx", "-s", "/sp/savepoint-1",
        "--kafka", "security.protocol=SSL", "--onnx-threads", "2", "--provider", "CPU");
    JobConfig config = c.settings();
    assertThat(config.restoreFrom()).isEqualTo("/sp/savepoint-1");
    assertThat(config.kafkaProperties()).containsEntry("security.protocol", "SSL");
    assertThat(config.onnxThreads()).isEqualTo(2);
    assertThat(config.executionProvider()).isEqualTo("CPU");
    assertThat(config.parallelism()).as("no job-level parallelism unless asked").isNull();

    StreamCommand long_ = new StreamCommand();
    new CommandLine(long_).parseArgs("--bootstrap", "b:9092", "--model", "/m", "--from-savepoint", "/sp/2");
    assertThat(long_.settings().restoreFrom()).isEqualTo("/sp/2");
  }

  @Test
  void kafkaPropertiesThroughSetAreRefusedWithThePointerToDashDashKafka() {
    StreamCommand c = new StreamCommand();
    new CommandLine(c).parseArgs("--bootstrap", "b:9092", "--model", "/m", "--set", "kafka.security.protocol=SSL");
    assertThatThrownBy(c::settings)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--set kafka.security.protocol=SSL passes a Kafka client property; use --kafka security.protocol=SSL instead.");
  }

  @Test
  void submitTakesFlinksDashPAndDashSAndLeavesParallelismOutOfTheJobSettings() {
    SubmitCommand c = new SubmitCommand();
    new CommandLine(c).parseArgs("--bootstrap", "b:9092", "--model", "/m", "-p", "3", "-s", "/sp/x", "--kafka", "acks=all");
    Map<String, String> s = c.settings();
    assertThat(c.parallelism).isEqualTo(3);
    assertThat(c.fromSavepoint).isEqualTo("/sp/x");
    assertThat(s).doesNotContainKey(JobConfig.PARALLELISM).containsEntry("kafka.acks", "all");
  }

  @Test
  void produceReadsAFolderRecursivelyAsEncodeDoes(@TempDir Path dir) throws Exception {
    byte[] png = dev.ibq.image.source.ImageRecords.png(new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_BYTE_GRAY));
    Files.write(Files.createDirectories(dir.resolve("a/b")).resolve("deep.png"), png);
    Files.write(dir.resolve("top.png"), png);
    ProduceCommand c = new ProduceCommand();
    new CommandLine(c).parseArgs("--bootstrap", "b:9092", "--folder", dir.toString());
    var folder = c.records();
    assertThat(folder).extracting(r -> r.getImageId()).containsExactly("a/b/deep.png", "top.png");
    assertThat(folder).extracting(r -> r.getLabel()).containsExactly(0, null);

    ProduceCommand named = new ProduceCommand();
    new CommandLine(named).parseArgs("--bootstrap", "b:9092", "--source", "folder:" + dir, "--source", "fashion-mnist:test");
    var records = named.records();
    assertThat(records).hasSize(2 + 10_000);
    assertThat(records.get(2).getImageId()).isEqualTo("fmnist-test-00000");
    assertThatThrownBy(() -> {
      ProduceCommand bad = new ProduceCommand();
      new CommandLine(bad).parseArgs("--bootstrap", "b:9092", "--source", "mnist:test");
      bad.records();
    }).hasMessageContaining("expected fashion-mnist:test");
  }
}
