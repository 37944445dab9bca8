package dev.ibq.stream.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.stream.kafka.TopicValueFormat;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-topic value formats and the Schema Registry settings (the registry itself: deploy/cli's ConfluentWireFormatIT). */
class ValueFormatSettingsTest {

  private static Map<String, String> minimal(String... kv) {
    Map<String, String> m = new HashMap<>();
    m.put(JobConfig.BOOTSTRAP_SERVERS, "localhost:9092");
    m.put(JobConfig.MODEL, "/models/encoder.onnx");
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void everyTopicIsSingleObjectWithoutARegistryByDefault() {
    JobConfig c = JobConfig.fromMap(minimal());
    assertThat(c.inputValueFormat()).isEqualTo(ValueFormat.SINGLE_OBJECT);
    assertThat(c.outputValueFormat()).isEqualTo(ValueFormat.SINGLE_OBJECT);
    assertThat(c.deadLetterValueFormat()).isEqualTo(ValueFormat.SINGLE_OBJECT);
    assertThat(c.usesSchemaRegistry()).isFalse();
    assertThat(c.schemaRegistryAutoRegister()).isFalse();
    assertThat(TopicValueFormat.output(c)).isEqualTo(TopicValueFormat.SINGLE_OBJECT);
  }

  @Test
  void confluentOnOneTopicNeedsTheRegistryUrl() {
    assertThatThrownBy(() -> JobConfig.fromMap(minimal(JobConfig.OUTPUT_VALUE_FORMAT, "confluent")))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageStartingWith("Setting 'schema-registry.url' is missing, but output.value-format is confluent");
    assertThatThrownBy(() -> JobConfig.fromMap(minimal(JobConfig.INPUT_VALUE_FORMAT, "avro")))
        .hasMessage("Setting 'input.value-format' is 'avro'; expected single-object or confluent.");
    assertThatThrownBy(() -> JobConfig.fromMap(minimal(JobConfig.SCHEMA_REGISTRY_URL, "registry:8081")))
        .hasMessage("Setting 'schema-registry.url' is 'registry:8081'; expected an http:// or https:// URL.");
  }

  @Test
  void theFormatsRoundTripAndReachEachTopic() {
    JobConfig c = JobConfig.fromMap(minimal(
        JobConfig.INPUT_VALUE_FORMAT, "CONFLUENT", JobConfig.DEAD_LETTER_VALUE_FORMAT, "confluent",
        JobConfig.SCHEMA_REGISTRY_URL, "http://registry:8081", JobConfig.SCHEMA_REGISTRY_AUTO_REGISTER, "true"));
    assertThat(JobConfig.fromMap(c.toMap())).isEqualTo(c);
    assertThat(c.usesSchemaRegistry()).isTrue();
    assertThat(TopicValueFormat.input(c)).isEqualTo(TopicValueFormat.confluent("http://registry:8081", true));
    assertThat(TopicValueFormat.output(c)).isEqualTo(TopicValueFormat.SINGLE_OBJECT);
    assertThat(TopicValueFormat.deadLetter(c).format()).isEqualTo(ValueFormat.CONFLUENT);
  }
}
