package dev.ibq.local.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class KafkaBrokerProcessTest {

  /** One id in 64 would start with '-' and break the storage tool's argument parsing: none may. */
  @Test
  void clusterIdsAreKafkaShapedAndNeverLookLikeAnOption() {
    for (int i = 0; i < 10_000; i++) {
      String id = KafkaBrokerProcess.randomClusterId();
      assertThat(id).doesNotStartWith("-").hasSize(22);
      assertThat(Base64.getUrlDecoder().decode(id)).hasSize(16);
    }
  }
}
