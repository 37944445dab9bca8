package dev.ibq.training.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.training.tokenizer.train.TrainingState;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  private static final TrainingState STATE =
      new TrainingState(120, 3, 48, 0.25, -0.5, 119, 120, 118, "ibq-preprocess:v1;h=32", "cpu", 61.5);

  @Test
  void recordsAreWrittenInSnakeCase() {
    String json = Json.write(STATE);
    assertThat(json)
        .startsWith("{\"step\":120,\"data_epoch\":3,\"data_offset\":48,\"lecam_real_ema\":0.25,")
        .contains("\"generator_adam_updates\":120", "\"elapsed_seconds\":61.5")
        .doesNotContain("dataOffset", "lecamRealEma");
    assertThat(Json.readAnyCase(json, TrainingState.class, "state.json")).isEqualTo(STATE);
    assertThat(Json.readAnyCase(Json.pretty(STATE), TrainingState.class, "state.json")).isEqualTo(STATE);
  }

  @Test
  void aStateWrittenInCamelCaseBeforeTheMoveStillReads() {
    // state.json exactly as the Gson writer of older checkpoints wrote it.
    String old = """
        {
          "step": 120,
          "dataEpoch": 3,
          "dataOffset": 48,
          "lecamRealEma": 0.25,
          "lecamFakeEma": -0.5,
          "emaUpdates": 119,
          "generatorAdamUpdates": 120,
          "discriminatorAdamUpdates": 118,
          "preprocessing": "ibq-preprocess:v1;h\\u003d32",
          "device": "cpu",
          "elapsedSeconds": 61.5
        }
        """;
    assertThat(Json.readAnyCase(old, TrainingState.class, "state.json")).isEqualTo(STATE);
  }

  @Test
  void nonFiniteNumbersAreBareTokensBothWays() throws Exception {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("loss", Double.NaN);
    row.put("grad", Double.POSITIVE_INFINITY);
    row.put("nothing", null);
    String json = Json.write(row);
    assertThat(json).isEqualTo("{\"loss\":NaN,\"grad\":Infinity,\"nothing\":null}");
    Map<?, ?> back = Json.MAPPER.readValue(json, Map.class);
    assertThat((Double) back.get("loss")).isNaN();
    assertThat(back.get("grad")).isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void prettyOutputIsIndentedWithTwoSpaces() {
    assertThat(Json.pretty(Map.of("a", List.of(1, 2))).replace("\r", "")).isEqualTo("{\n  \"a\": [ 1, 2 ]\n}");
  }

  @Test
  void unreadableTextIsAnErrorNamingItsSource() {
    assertThatThrownBy(() -> Json.readAnyCase("{\"step\": ", TrainingState.class, "run/checkpoints/step-5/state.json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("run/checkpoints/step-5/state.json is not a valid JSON TrainingState: ");
    assertThatThrownBy(() -> Json.readAnyCase("{\"step\": \"many\"}", TrainingState.class, "state.json"))
        .hasMessageContaining("state.json is not a valid JSON TrainingState");
  }

  @Test
  void yamlValuesArePlainJava() throws Exception {
    assertThat(Json.readYaml("")).isNull();
    assertThat(Json.readYaml("[1, 2, 2]")).isEqualTo(List.of(1, 2, 2));
    assertThat(Json.readYaml("a:\n  b: 0.5\n  c: true\n  d: text\n"))
        .isEqualTo(Map.of("a", Map.of("b", 0.5, "c", true, "d", "text")));
  }
}
