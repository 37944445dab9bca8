package dev.ibq.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BuildSmokeTest {
  @Test
  void avroIsOnTheClassPath() {
    assertThat(org.apache.avro.Schema.create(org.apache.avro.Schema.Type.INT).getType())
        .isEqualTo(org.apache.avro.Schema.Type.INT);
  }
}
