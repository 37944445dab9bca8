package dev.ibq.stream.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.stream.job.TokenizeJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {
  private static Map<String, String> minimal() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("bootstrap.servers", "broker:9092");
    m.put("model", "/models/encoder.onnx");
    return m;
  }

  private static Map<String, String> with(String key, String value) {
    Map<String, String> m = minimal();
    m.put(key, value);
    return m;
  }

  @Test
  void defaultsApplyToEverythingButTheRequiredSettings() {
    JobConfig c = JobConfig.fromMap(minimal());
    assertThat(c.inputTopic()).isEqualTo("ibq.images");
    assertThat(c.outputTopic()).isEqualTo("ibq.tokens");
    assertThat(c.deadLetterTopic()).isEqualTo("ibq.dead-letters");
    assertThat(c.batchSize()).isEqualTo(32);
    assertThat(c.maxWaitMs()).isEqualTo(50);
    assertThat(c.deliveryGuarantee()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
    assertThat(c.transactionTimeoutMs()).isEqualTo(60_000);
    assertThat(c.formats()).isEmpty();
    assertThat(c.kafkaProperties()).isEmpty();
  }

  @Test
  void aMissingRequiredSettingIsNamed() {
    Map<String, String> m = minimal();
    m.remove("model");
    assertThatThrownBy(() -> JobConfig.fromMap(m))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageStartingWith("Setting 'model' is missing");
    m.put("model", "x");
    m.remove("bootstrap.servers");
    assertThatThrownBy(() -> JobConfig.fromMap(m)).hasMessageStartingWith("Setting 'bootstrap.servers' is missing");
  }

  @Test
  void exactlyOnceWithoutCheckpointsIsAContradictionNamingTheInterval() {
    assertThatThrownBy(() -> JobConfig.fromMap(with("checkpoint.interval-ms", "0")))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("'checkpoint.interval-ms'")
        .hasMessageContaining("exactly-once");
    Map<String, String> m = with("checkpoint.interval-ms", "0");
    m.put("delivery.guarantee", "at-least-once");
    assertThat(JobConfig.fromMap(m).deliveryGuarantee()).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
  }

  @Test
  void aTransactionTimeoutShorterThanTheCheckpointIntervalIsRefused() {
    Map<String, String> m = with("checkpoint.interval-ms", "90000");
    assertThatThrownBy(() -> JobConfig.fromMap(m)).hasMessageStartingWith("Setting 'transaction.timeout-ms'");
  }

  @Test
  void malformedAndUnknownSettingsAreNamed() {
    assertThatThrownBy(() -> JobConfig.fromMap(with("batch.size", "many"))).hasMessageStartingWith("Setting 'batch.size' is 'many'");
    assertThatThrownBy(() -> JobConfig.fromMap(with("batch.size", "0"))).hasMessageStartingWith("Setting 'batch.size' is 0");
    assertThatThrownBy(() -> JobConfig.fromMap(with("batch.sise", "8"))).hasMessageStartingWith("Setting 'batch.sise' is not a known setting");
    assertThatThrownBy(() -> JobConfig.fromMap(with("delivery.guarantee", "maybe"))).hasMessageContaining("exactly-once or at-least-once");
    assertThatThrownBy(() -> JobConfig.fromMap(with("limits.formats", "png,jpg"))).hasMessageContaining("'jpg'");
    assertThatThrownBy(() -> JobConfig.fromMap(with("output.topic", "ibq.images"))).hasMessageStartingWith("Setting 'input.topic'");
  }

  @Test
  void kafkaPropertiesPassThroughExceptThoseTheJobOwns() {
    Map<String, String> m = with("kafka.security.protocol", "SASL_SSL");
    m.put("kafka.sasl.mechanism", "PLAIN");
    JobConfig c = JobConfig.fromMap(m);
    assertThat(c.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN");
    assertThat(c.kafkaClientProperties()).containsEntry("security.protocol", "SASL_SSL");
    assertThatThrownBy(() -> JobConfig.fromMap(with("kafka.isolation.level", "read_uncommitted")))
        .hasMessageStartingWith("Setting 'kafka.isolation.level' is set by the job itself");
    assertThatThrownBy(() -> JobConfig.fromMap(with("kafka.transaction.timeout.ms", "1000")))
        .hasMessageContaining("transaction.timeout-ms");
  }

  @Test
  void toMapRoundTrips() {
    Map<String, String> m = with("kafka.ssl.truststore.location", "/x");
    m.put("checkpoint.dir", "/tmp/cp");
    m.put("batch.size", "7");
    JobConfig c = JobConfig.fromMap(m);
    assertThat(JobConfig.fromMap(c.toMap())).isEqualTo(c);
  }

  @Test
  void flagsOverrideThePropertiesFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("job.properties");
    Files.writeString(file, "bootstrap.servers=a:1\nmodel=/m.onnx\nbatch.size=16\nkafka.security.protocol=SSL\n");
    JobConfig c = TokenizeJob.parseArgs("--config", file.toString(), "--batch.size", "64", "parallelism=2");
    assertThat(c.batchSize()).isEqualTo(64);
    assertThat(c.parallelism()).isEqualTo(2);
    assertThat(c.bootstrapServers()).isEqualTo("a:1");
    assertThat(c.kafkaProperties()).containsEntry("security.protocol", "SSL");
  }

  @Test
  void aModelDirectoryResolvesToItsEncoder(@TempDir Path dir) {
    assertThat(JobConfig.resolveModel(dir.toString())).isEqualTo(dir.resolve("encoder.onnx").toAbsolutePath());
    assertThat(JobConfig.resolveModel(dir.toUri().toString())).isEqualTo(dir.resolve("encoder.onnx").toAbsolutePath());
    assertThatThrownBy(() -> JobConfig.resolveModel("s3://bucket/encoder.onnx")).hasMessageStartingWith("Setting 'model'");
  }

  @Test
  void settingsInFlinksConfigurationAreTheLowestLayer() {
    org.apache.flink.configuration.Configuration flink = new org.apache.flink.configuration.Configuration();
    flink.setString("bootstrap.servers", "from-flink:9092");
    flink.setString("batch.size", "12");
    flink.setString("kafka.security.protocol", "SSL");
    flink.setString("taskmanager.numberOfTaskSlots", "4"); // Flink's own: not a job setting, ignored
    JobConfig c = TokenizeJob.parseArgs(flink, "--model", "/m.onnx", "--batch.size", "64");
    assertThat(c.bootstrapServers()).isEqualTo("from-flink:9092");
    assertThat(c.batchSize()).isEqualTo(64);
    assertThat(c.kafkaProperties()).containsEntry("security.protocol", "SSL");
    assertThat(JobConfig.jobSettingsIn(flink)).doesNotContainKey("taskmanager.numberOfTaskSlots");
    flink.setString("batch.size", "lots");
    assertThatThrownBy(() -> TokenizeJob.parseArgs(flink, "--model", "/m.onnx"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageStartingWith("Setting 'batch.size' is 'lots'; expected a whole number");
  }

  @Test
  void parallelismAndCheckpointIntervalAreUnsetUnlessTheUserSetsThem() {
    JobConfig c = JobConfig.fromMap(minimal());
    assertThat(c.parallelism()).isNull();
    assertThat(c.checkpointIntervalMs()).isNull();
    assertThat(c.toMap()).doesNotContainKeys("parallelism", "checkpoint.interval-ms");
  }
}
