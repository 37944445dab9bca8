package dev.ibq.local.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterStateTest {
  @TempDir Path dir;

  @Test
  void savedStateReadsBackAndIsGoneAfterDelete() {
    ClusterState s = new ClusterState(dir, "http://127.0.0.1:40001", "127.0.0.1:40002", 11, List.of(12L, 13L), 14);
    s.save();
    assertThat(ClusterState.exists(dir)).isTrue();
    assertThat(ClusterState.load(dir)).isEqualTo(new ClusterState(dir.toAbsolutePath(), s.restUrl(), s.bootstrapServers(), 11, List.of(12L, 13L), 14));
    assertThat(s.allPids()).containsExactly(11L, 12L, 13L, 14L);
    ClusterState.delete(dir);
    assertThatThrownBy(() -> ClusterState.load(dir)).hasMessageContaining("ibq cluster start");
  }

  @Test
  void programArgsAreKeyValuePairsInOrder() {
    var m = new java.util.LinkedHashMap<String, String>();
    m.put("bootstrap.servers", "k:9092");
    m.put("model", "/m/encoder.onnx");
    assertThat(FlinkRestClient.programArgs(m)).containsExactly("--bootstrap.servers", "k:9092", "--model", "/m/encoder.onnx");
  }
}
