package dev.ibq.training.tokenizer.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.ibq.training.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes {@link TokenizerTrainingConfig} as YAML.
 *
 * <p>An override file holds any subset of the keys, nested like the record or dotted:
 *
 * <pre>
 * steps: 3000
 * architecture:
 *   codebook_size: 4096
 * losses.entropy: 0.1
 * </pre>
 *
 * A stored config ({@code config.yaml} in a run directory or checkpoint) holds every key and is read
 * with {@link #readComplete}, which refuses a missing key instead of completing it from defaults.
 */
public final class ConfigFiles {

  public static final String CONFIG_FILE = "config.yaml";

  private ConfigFiles() {}

  /** The YAML tree of an override file (empty for an empty file). */
  public static Map<String, Object> readTree(Path file) {
    try {
      return tree(Json.readYaml(Files.readString(file, StandardCharsets.UTF_8)), file + ": a config file");
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(file + " is not valid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read config file " + file, e);
    }
  }

  private static Map<String, Object> tree(Object loaded, String what) {
    if (loaded == null) {
      return Map.of();
    }
    if (!(loaded instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(
          what + " must be a map of keys to values (e.g. 'steps: 3000'), not " + (loaded instanceof List ? "a list" : "the value '" + loaded + "'") + ".");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach((k, v) -> out.put(String.valueOf(k), v));
    return out;
  }

  /**
   * Reads a complete stored config; every key must be present, except keys added after the file was written,
   * which take the value every run had before they existed (see {@link #migrate}).
   */
  public static TokenizerTrainingConfig readComplete(Path file) {
    return RecordTree.fromTree(TokenizerTrainingConfig.class, migrate(readTree(file)), file.toString());
  }

  /**
   * Fills in keys introduced after a stored config was written with the value that reproduces the run that
   * wrote it: {@code optimizer.codebook_lr_scale} = 1 (before the key existed the codebook always trained at
   * the common learning rate); {@code optimizer.lr_drop_steps} = [] and {@code lr_drop_factor} = 0.1 (a constant
   * rate); {@code ema_warmup} = true (the EMA had taming's (1 + n) / (10 + n) warm-up until the paper's fixed
   * decay became the default); {@code losses.perceptual_network} = none (no perceptual network could be named).
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> migrate(Map<String, Object> tree) {
    Map<String, Object> out = new LinkedHashMap<>(tree);
    if (tree.get("optimizer") instanceof Map<?, ?> optimizer) {
      Map<String, Object> upgraded = new LinkedHashMap<>((Map<String, Object>) optimizer);
      upgraded.putIfAbsent("codebook_lr_scale", 1.0);
      upgraded.putIfAbsent("lr_drop_steps", List.of());
      upgraded.putIfAbsent("lr_drop_factor", 0.1);
      out.put("optimizer", upgraded);
    }
    if (tree.get("losses") instanceof Map<?, ?> losses) {
      Map<String, Object> upgraded = new LinkedHashMap<>((Map<String, Object>) losses);
      upgraded.putIfAbsent("perceptual_network", PerceptualNetworks.NONE);
      out.put("losses", upgraded);
    }
    out.putIfAbsent("ema_warmup", true);
    return out;
  }

  /** The config as YAML text (every key, block style). */
  public static String toYaml(TokenizerTrainingConfig config) {
    try {
      return Json.YAML.writeValueAsString(RecordTree.toTree(config));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write the config as YAML: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * The config as one line of JSON with the same snake_case keys as {@link #toYaml}: the form stored in an exported
   * model's {@code ibq.config} metadata. JSON is YAML, so the text can be saved as a file and passed to {@code --config}.
   */
  public static String toJson(TokenizerTrainingConfig config) {
    return Json.write(RecordTree.toTree(config));
  }

  /**
   * Reads a complete config from the JSON stored in a model's metadata ({@link #toJson}) or in a model exported before
   * the keys were snake_case (camelCase keys such as {@code codebookSize}), completing keys added since as
   * {@link #readComplete} does.
   *
   * @param source what the text came from, for error messages (e.g. "deploy/models/fmnist-small/encoder.onnx ibq.config")
   */
  public static TokenizerTrainingConfig fromJson(String json, String source) {
    Object loaded;
    try {
      loaded = Json.readYaml(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(source + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    Map<String, Object> tree = tree(loaded, source);
    return RecordTree.fromTree(TokenizerTrainingConfig.class, migrate(snakeKeys(tree)), source);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> snakeKeys(Map<String, Object> tree) {
    Map<String, Object> out = new LinkedHashMap<>();
    tree.forEach((k, v) -> out.put(RecordTree.snake(k), v instanceof Map<?, ?> m ? snakeKeys((Map<String, Object>) m) : v));
    return out;
  }

  /** Writes the config as YAML. */
  public static void write(TokenizerTrainingConfig config, Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, toYaml(config), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write config file " + file, e);
    }
  }
}
