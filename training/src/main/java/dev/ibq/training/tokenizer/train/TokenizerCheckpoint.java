package dev.ibq.training.tokenizer.train;

import dev.ibq.training.io.Json;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.training.optim.AdamW;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.PatchDiscriminator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A training checkpoint: a directory {@code <run>/checkpoints/step-N/} (and the symlink
 * {@code <run>/checkpoints/last} to the newest) holding
 *
 * <pre>
 * config.yaml                   the complete TokenizerTrainingConfig that built the model
 * state.json                    TrainingState: step, data position, LeCAM EMAs, update counts, preprocessing
 * ema.weights                   EMA weights of the generator (reference keys; what evaluation and export use)
 * generator.weights             raw generator weights
 * discriminator.weights         PatchDiscriminator weights and BatchNorm running statistics
 * adam-generator.weights        Adam moments (m.KEY, v.KEY) of the generator
 * adam-discriminator.weights    Adam moments of the discriminator
 * </pre>
 *
 * <p>Weight files are {@link WeightFile}s. Loading always rebuilds the model from the stored config, never
 * from presets or command-line defaults.
 *
 * <p>For the exporter and other consumers: {@link #load(Path, NDManager)} returns the config, the
 * preprocessing spec and a model holding the EMA weights.
 */
public final class TokenizerCheckpoint {

  public static final String STATE_FILE = "state.json";
  public static final String EMA_WEIGHTS = "ema.weights";
  public static final String GENERATOR_WEIGHTS = "generator.weights";
  public static final String DISCRIMINATOR_WEIGHTS = "discriminator.weights";
  public static final String GENERATOR_ADAM = "adam-generator.weights";
  public static final String DISCRIMINATOR_ADAM = "adam-discriminator.weights";
  public static final String LAST = "last";


  private TokenizerCheckpoint() {}

  /**
   * A loaded tokenizer.
   *
   * @param directory the checkpoint directory it came from (symlinks resolved)
   * @param config the config stored with it
   * @param preprocessing the spec its training images went through (use the same for inputs)
   * @param model the tokenizer with the EMA weights (or the raw weights, see {@link #load(Path, NDManager, boolean)})
   * @param state step, data position and the rest of the training state
   */
  public record Loaded(Path directory, TokenizerTrainingConfig config, PreprocessingSpec preprocessing, IbqTokenizerModel model, TrainingState state) {
    public long step() {
      return state.step();
    }
  }

  /** Loads the EMA tokenizer of a checkpoint directory, or of a run directory (its {@code checkpoints/last}). */
  public static Loaded load(Path path, NDManager manager) {
    return load(path, manager, true);
  }

  /**
   * Loads a checkpoint's tokenizer with the EMA weights ({@code ema = true}) or the raw trained weights.
   *
   * @param path a checkpoint directory, or a run directory (then {@code checkpoints/last} is used)
   * @param manager owns the model's parameters (and decides the device)
   */
  public static Loaded load(Path path, NDManager manager, boolean ema) {
    Path dir = resolve(path);
    TokenizerTrainingConfig config = ConfigFiles.readComplete(dir.resolve(ConfigFiles.CONFIG_FILE));
    TrainingState state = readState(dir);
    IbqTokenizerModel model = IbqTokenizerModel.create(config.architecture(), manager);
    loadWeights(model.stateDict(), dir.resolve(ema ? EMA_WEIGHTS : GENERATOR_WEIGHTS), manager);
    return new Loaded(dir, config, PreprocessingSpec.parse(state.preprocessing()), model, state);
  }

  /** The config stored with a checkpoint (or a run's last checkpoint). */
  public static TokenizerTrainingConfig config(Path path) {
    return ConfigFiles.readComplete(resolve(path).resolve(ConfigFiles.CONFIG_FILE));
  }

  /** The checkpoint directory for a checkpoint or run path; an error says what was expected. */
  public static Path resolve(Path path) {
    Path dir = path;
    if (!Files.exists(dir.resolve(ConfigFiles.CONFIG_FILE)) || !Files.exists(dir.resolve(STATE_FILE))) {
      Path last = path.resolve("checkpoints").resolve(LAST);
      if (Files.exists(last.resolve(STATE_FILE))) {
        dir = last;
      } else {
        throw new IllegalArgumentException(
            path + " is not a tokenizer checkpoint: expected a directory with " + ConfigFiles.CONFIG_FILE + " and " + STATE_FILE
                + " (e.g. runs/tokenizer/<run>/checkpoints/last) or a run directory containing checkpoints/last.");
      }
    }
    try {
      return dir.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot resolve " + dir, e);
    }
  }

  /** Reads {@code state.json}. */
  public static TrainingState readState(Path dir) {
    try {
      return Json.readAnyCase(Files.readString(dir.resolve(STATE_FILE), StandardCharsets.UTF_8), TrainingState.class, dir.resolve(STATE_FILE).toString());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + dir.resolve(STATE_FILE), e);
    }
  }

  /** Copies the tensors of a weight file into {@code target} (strict: same keys, same shapes). */
  static void loadWeights(Map<String, NDArray> target, Path file, NDManager manager) {
    try (NDManager scratch = manager.newSubManager()) {
      Map<String, NDArray> saved = WeightFile.read(file, scratch);
      if (!saved.keySet().equals(target.keySet())) {
        throw new IllegalArgumentException(
            file + " holds different tensors than the model built from the checkpoint's config expects; the checkpoint is inconsistent.");
      }
      for (Map.Entry<String, NDArray> e : target.entrySet()) {
        NDArray value = saved.get(e.getKey());
        if (!value.getShape().equals(e.getValue().getShape())) {
          throw new IllegalArgumentException(
              file + ": tensor '" + e.getKey() + "' is " + value.getShape() + " but the model expects " + e.getValue().getShape() + ".");
        }
        e.getValue().set(value.toByteBuffer());
      }
    }
  }

  /** Everything a checkpoint stores, live. */
  record Contents(
      TokenizerTrainingConfig config,
      TrainingState state,
      IbqTokenizerModel model,
      IbqTokenizerModel emaModel,
      PatchDiscriminator discriminator,
      AdamW generatorAdam,
      AdamW discriminatorAdam) {}

  /**
   * Writes {@code checkpoints/step-N/} under {@code runDir} and points {@code checkpoints/last} at it.
   *
   * @return the checkpoint directory
   */
  static Path save(Path runDir, Contents c) {
    Path root = runDir.resolve("checkpoints");
    Path dir = root.resolve("step-" + c.state().step());
    try {
      Files.createDirectories(dir);
      ConfigFiles.write(c.config(), dir.resolve(ConfigFiles.CONFIG_FILE));
      WeightFile.write(dir.resolve(EMA_WEIGHTS), c.emaModel().stateDict());
      WeightFile.write(dir.resolve(GENERATOR_WEIGHTS), c.model().stateDict());
      WeightFile.write(dir.resolve(DISCRIMINATOR_WEIGHTS), c.discriminator().stateDict());
      WeightFile.write(dir.resolve(GENERATOR_ADAM), c.generatorAdam().state());
      WeightFile.write(dir.resolve(DISCRIMINATOR_ADAM), c.discriminatorAdam().state());
      // state.json last: a directory with it is complete.
      Files.writeString(dir.resolve(STATE_FILE), Json.pretty(c.state()) + "\n", StandardCharsets.UTF_8);
      Path last = root.resolve(LAST);
      Path tmp = root.resolve(LAST + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createSymbolicLink(tmp, root.relativize(dir));
      Files.move(tmp, last, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write checkpoint " + dir, e);
    }
  }

  /**
   * Removes a checkpoint directory written between scheduled ones (time-based); never the one {@code last}
   * points at.
   */
  static void delete(Path dir) {
    try {
      Path last = dir.getParent().resolve(LAST);
      if (Files.exists(last) && last.toRealPath().equals(dir.toRealPath())) {
        return;
      }
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot remove the superseded checkpoint " + dir, e);
    }
  }

  /** Restores the trainable state of a run from a checkpoint directory. */
  static void restore(Path dir, Contents c, NDManager manager) {
    loadWeights(c.model().stateDict(), dir.resolve(GENERATOR_WEIGHTS), manager);
    loadWeights(c.emaModel().stateDict(), dir.resolve(EMA_WEIGHTS), manager);
    loadWeights(c.discriminator().stateDict(), dir.resolve(DISCRIMINATOR_WEIGHTS), manager);
    try (NDManager scratch = manager.newSubManager()) {
      c.generatorAdam().restore(WeightFile.read(dir.resolve(GENERATOR_ADAM), scratch), c.state().generatorAdamUpdates());
      c.discriminatorAdam().restore(WeightFile.read(dir.resolve(DISCRIMINATOR_ADAM), scratch), c.state().discriminatorAdamUpdates());
    }
  }

}
