package dev.ibq.stream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.stream.config.InvalidConfigException;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.testing.TestModels;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/**
 * The job leaves parallelism, checkpointing and restarts to Flink's configuration (the cluster's
 * config.yaml, {@code flink run -p/-D}) unless a job-level setting asks otherwise. The graph is built on a
 * real environment; nothing runs.
 */
class TokenizeJobFlinkSettingsTest {

  private static Map<String, String> settings() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(JobConfig.BOOTSTRAP_SERVERS, "localhost:9");
    m.put(JobConfig.MODEL, TestModels.encoder().toString());
    m.put(JobConfig.EXECUTION_PROVIDER, "cpu");
    return m;
  }

  /** An environment as a cluster with this configuration would hand to main(). */
  private static StreamExecutionEnvironment cluster(Configuration clusterConfig, JobConfig job) {
    Configuration c = new Configuration(clusterConfig);
    c.addAll(TokenizeJob.flinkConfiguration(job));
    return StreamExecutionEnvironment.getExecutionEnvironment(c);
  }

  @Test
  void withoutJobLevelSettingsTheJobSetsNoFlinkOption() {
    assertThat(TokenizeJob.flinkConfiguration(JobConfig.fromMap(settings())).toMap()).isEmpty();
  }

  @Test
  void theClustersParallelismCheckpointingAndRestartStrategyAreWhatTheJobRunsWith() throws Exception {
    Configuration cluster = new Configuration();
    cluster.set(CoreOptions.DEFAULT_PARALLELISM, 3);
    cluster.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(7));
    cluster.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    cluster.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 4);
    JobConfig job = JobConfig.fromMap(settings());
    StreamExecutionEnvironment env = cluster(cluster, job);
    TokenizeJob.build(env, job);

    StreamGraph graph = env.getStreamGraph();
    assertThat(graph.getStreamNodes()).isNotEmpty();
    for (StreamNode n : graph.getStreamNodes()) {
      assertThat(n.getParallelism()).as(n.getOperatorName()).isEqualTo(3);
      assertThat(n.getMaxParallelism()).as(n.getOperatorName()).isEqualTo(TokenizeJob.DEFAULT_MAX_PARALLELISM);
    }
    assertThat(graph.getCheckpointConfig().getCheckpointInterval()).isEqualTo(7000);
    assertThat(env.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("fixed-delay");
    assertThat(env.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS)).isEqualTo(4);
  }

  @Test
  void jobLevelSettingsOverrideTheClusterAndAClusterMaxParallelismWins() throws Exception {
    Configuration cluster = new Configuration();
    cluster.set(CoreOptions.DEFAULT_PARALLELISM, 3);
    cluster.set(PipelineOptions.MAX_PARALLELISM, 256);
    cluster.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(7));
    Map<String, String> s = settings();
    s.put(JobConfig.PARALLELISM, "2");
    s.put(JobConfig.CHECKPOINT_INTERVAL_MS, "1500");
    JobConfig job = JobConfig.fromMap(s);
    StreamExecutionEnvironment env = cluster(cluster, job);
    TokenizeJob.build(env, job);

    StreamGraph graph = env.getStreamGraph();
    for (StreamNode n : graph.getStreamNodes()) {
      assertThat(n.getParallelism()).as(n.getOperatorName()).isEqualTo(2);
      assertThat(n.getMaxParallelism()).as(n.getOperatorName()).isEqualTo(256);
    }
    assertThat(graph.getCheckpointConfig().getCheckpointInterval()).isEqualTo(1500);
  }

  @Test
  void exactlyOnceOnAClusterWithoutCheckpointingIsRefusedBeforeAnythingRuns() {
    JobConfig job = JobConfig.fromMap(settings());
    StreamExecutionEnvironment env = cluster(new Configuration(), job);
    assertThatThrownBy(() -> TokenizeJob.build(env, job))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("checkpointing is off")
        .hasMessageContaining(CheckpointingOptions.CHECKPOINTING_INTERVAL.key());

    Configuration slow = new Configuration();
    slow.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMinutes(5));
    assertThatThrownBy(() -> TokenizeJob.build(cluster(slow, job), job))
        .hasMessageStartingWith("Setting '" + JobConfig.TRANSACTION_TIMEOUT_MS + "'");
  }

  @Test
  void outputIsZstdCompressedUnlessKafkaCompressionTypeSaysOtherwise() {
    assertThat(TokenizeJob.producerProperties(JobConfig.fromMap(settings())))
        .containsEntry("compression.type", "zstd")
        .containsEntry("transaction.timeout.ms", "60000");
    Map<String, String> s = settings();
    s.put("kafka.compression.type", "lz4");
    assertThat(TokenizeJob.producerProperties(JobConfig.fromMap(s))).containsEntry("compression.type", "lz4");
  }
}
