package dev.ibq.training.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The project's one JSON and YAML setup (Jackson): every file this project writes, in snake_case.
 *
 * <p>Records are written under their component names in snake_case ({@code dataOffset} becomes {@code
 * data_offset}), the same spelling the YAML configs use, so a stored document can be pasted back as a config.
 * NaN and infinities are written as the bare tokens {@code NaN} / {@code Infinity} (as Python's {@code json}
 * module reads and writes them) and read back. Reading ignores keys the record does not know (a file written
 * by a newer version) and, through {@link #readAnyCase}, accepts the camelCase keys of files written before
 * this project moved to snake_case.
 */
public final class Json {

  /** JSON, snake_case record properties, non-finite numbers as bare tokens. */
  public static final JsonMapper MAPPER = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  /**
   * YAML with the same naming: block style, no {@code ---} marker, strings quoted only where YAML needs it
   * (and always when they look like a number, so they read back as text).
   */
  public static final YAMLMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
          .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
          .build())
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  /** Two-space indentation, {@code "key": value}, short arrays on one line. */
  private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter()
      .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
      .withObjectIndenter(new DefaultIndenter("  ", "\n")));

  private Json() {}

  /** {@code value} as one line of JSON. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Cannot write a " + value.getClass().getName() + " as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** {@code value} as indented JSON (no trailing newline). */
  public static String pretty(Object value) {
    try {
      return PRETTY.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Cannot write a " + value.getClass().getName() + " as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Writes {@code value} as indented JSON plus a final newline to {@code file}, creating its directory. */
  public static void writePretty(Path file, Object value) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, pretty(value) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The plain Java value of a YAML (or JSON) text: maps with insertion order, lists, strings, booleans,
   * {@code Integer}/{@code Long}/{@code BigInteger}, {@code Double}; {@code null} for an empty text.
   *
   * @throws JsonProcessingException when the text is not YAML
   */
  public static Object readYaml(String text) throws JsonProcessingException {
    JsonNode node = YAML.readTree(text);
    if (node == null || node.isMissingNode() || node.isNull()) {
      return null;
    }
    return YAML.treeToValue(node, Object.class);
  }

  /**
   * Reads a record (or any bean) from JSON written by this project in snake_case or, before it used snake_case, in
   * camelCase. Only use it for documents whose keys are all property names (no maps keyed by data).
   *
   * @param source what the text came from, for the error message
   * @throws IllegalArgumentException naming {@code source} when the text is not JSON of that shape
   */
  public static <T> T readAnyCase(String json, Class<T> type, String source) {
    try {
      JsonNode tree = MAPPER.readTree(json);
      return MAPPER.treeToValue(snakeKeys(tree), type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          source + " is not a valid JSON " + type.getSimpleName() + ": " + e.getOriginalMessage() + ".", e);
    }
  }

  /**
   * The tree with every object key in snake_case ({@code codebookSize} becomes {@code codebook_size}; keys that
   * are already snake_case stay as they are), recursively.
   */
  public static JsonNode snakeKeys(JsonNode node) {
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        ((ArrayNode) node).set(i, snakeKeys(node.get(i)));
      }
      return node;
    }
    if (!node.isObject()) {
      return node;
    }
    ObjectNode object = (ObjectNode) node;
    List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      entries.add(it.next());
    }
    ObjectNode out = MAPPER.createObjectNode();
    for (Map.Entry<String, JsonNode> e : entries) {
      out.set(snake(e.getKey()), snakeKeys(e.getValue()));
    }
    return out;
  }

  /**
   * A key as {@link #MAPPER} names properties: {@code codebookSize} -> {@code codebook_size}; {@code beta1} and
   * {@code codebook_size} stay as they are.
   */
  public static String snake(String key) {
    return SNAKE.translate(key);
  }

  private static final PropertyNamingStrategies.NamingBase SNAKE =
      (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
}
