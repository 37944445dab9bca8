package dev.ibq.local.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The calls that go through Flink's RestClusterClient fail fast, with a sentence, when no cluster answers. */
class FlinkRestClientTest {

  @Test
  void noClusterIsAClearErrorWithinSeconds() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // free once closed: nothing listens there
    }
    FlinkRestClient rest = new FlinkRestClient("http://127.0.0.1:" + port);
    String job = "fd72014d4c864993a2e5a9287b4a9c5d";
    long start = System.nanoTime();
    assertThatThrownBy(() -> rest.cancel(job))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("The Flink cluster at http://127.0.0.1:" + port + " could not cancel job " + job + ": ConnectException: Connection refused.");
    assertThatThrownBy(() -> rest.savepoint(job, null, Duration.ofSeconds(20)))
        .hasMessageContaining("could not take a savepoint of job " + job);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    assertThatThrownBy(() -> rest.jobState("not-a-job-id")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not-a-job-id");
  }
}
