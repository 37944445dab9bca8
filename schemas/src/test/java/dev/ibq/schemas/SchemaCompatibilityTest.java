package dev.ibq.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.schemas.codec.SchemaStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Fails the build when a schema change breaks readers or writers of a released version: the current
 * schema must read every kept version (backward) and every kept version must read the current one
 * (forward), and the newest kept version must be the current schema (so every release is kept).
 */
class SchemaCompatibilityTest {

  private static final Map<String, Schema> CURRENT = Map.of(
      "ImageRecord", ImageRecord.getClassSchema(),
      "TokenRecord", TokenRecord.getClassSchema(),
      "DeadLetterRecord", DeadLetterRecord.getClassSchema());

  /** Every backward or forward incompatibility between {@code current} and the {@code released} versions. */
  static List<String> problems(Schema current, List<Schema> released) {
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < released.size(); i++) {
      Schema old = released.get(i);
      var backward = SchemaCompatibility.checkReaderWriterCompatibility(current, old);
      if (backward.getType() != SchemaCompatibilityType.COMPATIBLE) {
        problems.add("the current " + current.getName() + " cannot read v" + (i + 1) + ": " + backward.getDescription());
      }
      var forward = SchemaCompatibility.checkReaderWriterCompatibility(old, current);
      if (forward.getType() != SchemaCompatibilityType.COMPATIBLE) {
        problems.add("v" + (i + 1) + " readers cannot read the current " + current.getName() + ": " + forward.getDescription());
      }
    }
    return problems;
  }

  @ParameterizedTest
  @ValueSource(strings = {"ImageRecord", "TokenRecord", "DeadLetterRecord"})
  void currentSchemaIsBackwardAndForwardCompatibleWithEveryReleasedVersion(String name) {
    List<Schema> released = SchemaStore.history(name);
    assertThat(released).hasSizeGreaterThanOrEqualTo(2);
    assertThat(problems(CURRENT.get(name), released)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"ImageRecord", "TokenRecord", "DeadLetterRecord"})
  void newestReleasedVersionIsTheCurrentSchema(String name) {
    List<Schema> released = SchemaStore.history(name);
    Schema newest = released.get(released.size() - 1);
    assertThat(SchemaNormalization.toParsingForm(newest))
        .as("src/main/avro/%s.avsc changed: copy it to schema-history/%s/v%d.avsc to release it", name, name, released.size() + 1)
        .isEqualTo(SchemaNormalization.toParsingForm(CURRENT.get(name)));
    // defaults are not part of the parsing form but decide resolution: compare them too
    for (Schema.Field field : CURRENT.get(name).getFields()) {
      assertThat(newest.getField(field.name())).isNotNull();
      assertThat(String.valueOf(newest.getField(field.name()).defaultVal()))
          .as("default of %s.%s", name, field.name())
          .isEqualTo(String.valueOf(field.defaultVal()));
    }
  }

  @Test
  void theCheckCatchesABreakingChange() {
    // A required field without a default: old writers lack it, so the new reader cannot read them.
    String addedRequired = ImageRecord.getClassSchema().toString()
        .replace("\"fields\":[", "\"fields\":[{\"name\":\"checksum\",\"type\":\"long\"},");
    Schema breaking = new Schema.Parser().parse(addedRequired);
    assertThat(problems(breaking, SchemaStore.history("ImageRecord")))
        .anySatisfy(p -> assertThat(p).contains("cannot read v1").contains("checksum"));

    // Dropping an enum default breaks forward compatibility: old readers meet unknown symbols.
    String noDefault = DeadLetterRecord.getClassSchema().toString().replace(",\"default\":\"UNKNOWN\"", "");
    List<Schema> released = List.of(new Schema.Parser().parse(noDefault.replace(",\"EMPTY_PAYLOAD\",\"INTERNAL_ERROR\"", "")));
    assertThat(problems(DeadLetterRecord.getClassSchema(), released))
        .anySatisfy(p -> assertThat(p).contains("v1 readers cannot read"));
  }
}
