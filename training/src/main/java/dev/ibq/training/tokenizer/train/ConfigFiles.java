package dev.ibq.training.tokenizer.train;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

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
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Object loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
      if (loaded == null) {
        return Map.of();
      }
      if (!(loaded instanceof Map<?, ?> map)) {
        throw new IllegalArgumentException(
            file + ": a config file must be a YAML map of keys to values (e.g. 'steps: 3000'), not " + loaded.getClass().getSimpleName() + ".");
      }
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), v));
      return out;
    } catch (YAMLException e) {
      throw new IllegalArgumentException(file + " is not valid YAML: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read config file " + file, e);
    }
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
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setIndent(2);
    options.setPrettyFlow(true);
    return new Yaml(options).dump(RecordTree.toTree(config));
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
