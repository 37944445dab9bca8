package dev.ibq.local.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSpecTest {
  @TempDir Path dir;

  @Test
  void everyWrittenKeyIsAFlinkOptionAndFlinkReadsTheFileBack() throws Exception {
    ClusterSpec spec = new ClusterSpec(dir, 18081, 16123, 2);
    spec.writeConf();
    Set<String> known = FlinkOptionKeys.all();
    assertThat(spec.flinkSettings().keySet()).allSatisfy(k -> assertThat(known).as("Flink option key").contains(k));

    Configuration c = GlobalConfiguration.loadConfiguration(spec.confDir().toString());
    assertThat(c.get(org.apache.flink.configuration.RestOptions.PORT)).isEqualTo(18081);
    assertThat(c.get(org.apache.flink.configuration.RestOptions.BIND_ADDRESS)).isEqualTo("127.0.0.1");
    assertThat(c.get(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINTS_DIRECTORY))
        .isEqualTo(spec.checkpointDir().toUri().toString());
    assertThat(c.get(org.apache.flink.configuration.CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL))
        .contains("ai.onnxruntime");
    assertThat(Files.isDirectory(spec.savepointDir())).isTrue();
  }

  @Test
  void taskManagerMemoryIsFullySpecifiedAndFitsTheJvmFlags() throws Exception {
    ClusterSpec spec = new ClusterSpec(dir, 18081, 16123, 2);
    Configuration c = Configuration.fromMap(spec.flinkSettings());
    // What TaskManagerRunner derives at start; it throws when a component is missing or inconsistent.
    var p = TaskExecutorProcessUtils.processSpecFromConfig(c);
    long heap = p.getJvmHeapMemorySize().getBytes();
    long direct = p.getJvmDirectMemorySize().getBytes();
    assertThat(spec.taskManagerJvmOptions()).contains("-Xmx" + heap / (1 << 20) + "m", "-XX:MaxDirectMemorySize=" + direct / (1 << 20) + "m");
    assertThat(c.get(TaskManagerOptions.NUM_TASK_SLOTS)).isEqualTo(2);
    assertThat(Map.copyOf(spec.flinkSettings())).containsEntry("rest.address", "127.0.0.1");
  }
}
