package dev.ibq.training.tokenizer.train;

import dev.ibq.training.io.Json;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.model.CodeUsage;
import dev.ibq.training.importer.ReferenceConfig;
import dev.ibq.training.importer.ReferenceWeights;
import dev.ibq.training.optim.AdamW;
import dev.ibq.training.run.Checkpoint;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.PatchDiscriminator;
import dev.ibq.training.weights.TensorData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tokenizer training checkpoint: a {@link Checkpoint} directory {@code <run>/checkpoints/step-N/} (and the symlink
 * {@code <run>/checkpoints/last} to the newest) holding
 *
 * <pre>
 * checkpoint.json                       manifest (stage tokenizer, step, reference class, file sizes)
 * config.yaml                           the complete TokenizerTrainingConfig that built the model
 * state.json                            TrainingState: step, data position, LeCAM EMAs, update counts, preprocessing
 * model.safetensors                     EMA weights of the generator under the taming / SEED-Voken keys: what
 *                                       evaluation and export use, and what the reference IBQ / VQModel loads strictly
 * generator.safetensors                 raw generator weights (same keys)
 * discriminator.safetensors             PatchDiscriminator weights and BatchNorm running statistics
 * optimizer-generator.safetensors       AdamW moments (exp_avg.KEY, exp_avg_sq.KEY) of the generator, metadata step
 * optimizer-discriminator.safetensors   AdamW moments of the discriminator
 * reference.yaml                        SEED-Voken's run config for this architecture (only when it uses GroupNorm(32),
 *                                       the reference's fixed group count): model.safetensors loads strictly into the
 *                                       generator it builds
 * </pre>
 *
 * <p>Loading always rebuilds the model from the stored config, never from presets or command-line defaults.
 * Checkpoints of the earlier layout ({@code *.weights} files in the IBQW format) are converted once with
 * {@code ./ibq convert-checkpoint} ({@link #convertLegacy}).
 */
public final class TokenizerCheckpoint {
  private static final Logger LOG = LoggerFactory.getLogger(TokenizerCheckpoint.class);

  /** The weight sets of a tokenizer checkpoint. */
  public static final String EMA = Checkpoint.MODEL;
  public static final String GENERATOR = "generator";
  public static final String DISCRIMINATOR = "discriminator";
  public static final String STATE_FILE = Checkpoint.STATE_FILE;
  /** The run config in SEED-Voken's LightningCLI layout that builds the module model.safetensors loads into. */
  public static final String REFERENCE_YAML = "reference.yaml";


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
    Checkpoint checkpoint = open(path);
    TokenizerTrainingConfig config = config(checkpoint);
    TrainingState state = checkpoint.state(TrainingState.class);
    IbqTokenizerModel model = IbqTokenizerModel.create(config.architecture(), manager);
    checkpoint.load(ema ? EMA : GENERATOR, model.stateDict());
    return new Loaded(checkpoint.directory(), config, PreprocessingSpec.parse(state.preprocessing()), model, state);
  }

  /** The config stored with a checkpoint (or a run's last checkpoint). */
  public static TokenizerTrainingConfig config(Path path) {
    return config(open(path));
  }

  private static TokenizerTrainingConfig config(Checkpoint checkpoint) {
    checkpoint.text(ConfigFiles.CONFIG_FILE); // listed in the manifest
    return ConfigFiles.readComplete(checkpoint.directory().resolve(ConfigFiles.CONFIG_FILE));
  }

  /** Opens the checkpoint of a checkpoint or run path. */
  public static Checkpoint open(Path path) {
    return Checkpoint.open(resolve(path), Checkpoint.Stage.TOKENIZER);
  }

  /** The checkpoint directory for a checkpoint or run path; an error says what was expected. */
  public static Path resolve(Path path) {
    Path dir = Checkpoint.find(path);
    if (dir == null) {
      Path last = Checkpoint.last(path);
      if (isLegacy(path) || isLegacy(last)) {
        Path legacy = isLegacy(path) ? path : last;
        throw new IllegalArgumentException(
            legacy + " is a tokenizer checkpoint in the earlier layout (*.weights files, format IBQW), which this version"
                + " no longer reads directly. Convert it once: ./ibq convert-checkpoint --in " + legacy + " --out <new directory>"
                + " (the weights are copied bit for bit into safetensors under the same keys).");
      } else {
        throw new IllegalArgumentException(
            path + " is not a tokenizer checkpoint: expected a directory with " + Checkpoint.MANIFEST + ", "
                + ConfigFiles.CONFIG_FILE + " and model.safetensors (e.g. runs/tokenizer/<run>/checkpoints/last) or a run"
                + " directory containing checkpoints/last.");
      }
    }
    try {
      return dir.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot resolve " + dir, e);
    }
  }

  /** A directory of the earlier layout: {@code state.json} and {@code ema.weights}, no manifest. */
  static boolean isLegacy(Path dir) {
    return !Checkpoint.isCheckpoint(dir) && Files.isRegularFile(dir.resolve(STATE_FILE))
        && Files.isRegularFile(dir.resolve("ema.weights"));
  }

  /** Reads {@code state.json} of a checkpoint directory. */
  public static TrainingState readState(Path dir) {
    return Checkpoint.open(dir, Checkpoint.Stage.TOKENIZER).state(TrainingState.class);
  }

  /** Everything a checkpoint stores, live. */
  record Contents(
      TokenizerTrainingConfig config,
      TrainingState state,
      IbqTokenizerModel model,
      IbqTokenizerModel emaModel,
      PatchDiscriminator discriminator,
      AdamW generatorAdam,
      AdamW discriminatorAdam,
      CodeUsage recentCodes) {}

  /** The set holding the training log's utilization window (the code indices of its last steps). */
  static final String CODE_WINDOW = "code-window";

  /**
   * Writes {@code checkpoints/step-N/} under {@code runDir} and points {@code checkpoints/last} at it.
   *
   * @return the checkpoint directory
   */
  static Path save(Path runDir, Contents c) {
    Path dir = Checkpoint.stepDirectory(runDir, c.state().step());
    Checkpoint.Writer writer = Checkpoint.writer(dir, Checkpoint.Stage.TOKENIZER, c.state().step(), referenceClass(c.config()))
        .text(ConfigFiles.CONFIG_FILE, ConfigFiles.toYaml(c.config()))
        .state(c.state());
    if (c.config().architecture().groupNormGroups() == ReferenceConfig.REFERENCE_GROUPS) {
      writer.text(REFERENCE_YAML, ReferenceWeights.referenceYaml(c.config().architecture()));
    }
    Path written = writer
        .weights(EMA, c.emaModel().stateDict(), modelMetadata(c.config()))
        .weights(GENERATOR, c.model().stateDict(), Map.of())
        .weights(DISCRIMINATOR, c.discriminator().stateDict(), Map.of())
        .optimizer(GENERATOR, c.generatorAdam())
        .optimizer(DISCRIMINATOR, c.discriminatorAdam())
        .tensors(CODE_WINDOW, codeWindow(c.recentCodes()), Map.of("content", "code indices of the last steps, oldest first"))
        .commit();
    Checkpoint.pointLastAt(runDir, written);
    return written;
  }

  /**
   * The reference class the weights load into, or a note saying there is none: a quantizer kind without a
   * reference counterpart (e.g. one registered only by a test) still checkpoints and resumes; its weights just
   * cannot go to the reference code.
   */
  private static String referenceClass(TokenizerTrainingConfig config) {
    var kind = config.architecture().quantizerKind();
    return kind.referenceModelClasses().isEmpty()
        ? "none (quantizer " + kind.name() + " has no reference model class)"
        : ReferenceWeights.referenceClass(kind.name());
  }

  private static Map<String, String> modelMetadata(TokenizerTrainingConfig config) {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("ibq.reference_class", referenceClass(config));
    metadata.put("ibq.weights", "ema");
    return metadata;
  }

  /**
   * Removes a checkpoint directory written between scheduled ones (time-based); never the one {@code last}
   * points at.
   */
  static void delete(Path dir) {
    try {
      Path last = dir.getParent().resolve(Checkpoint.LAST);
      if (Files.exists(last) && last.toRealPath().equals(dir.toRealPath())) {
        return;
      }
      Checkpoint.deleteTree(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot remove the superseded checkpoint " + dir, e);
    }
  }

  /**
   * Restores the trainable state of a run from a checkpoint directory, and the utilization window of its log
   * (a checkpoint written before the window was saved restarts it empty, and says so).
   */
  static void restore(Path dir, Contents c) {
    Checkpoint checkpoint = Checkpoint.open(dir, Checkpoint.Stage.TOKENIZER);
    checkpoint.load(GENERATOR, c.model().stateDict());
    checkpoint.load(EMA, c.emaModel().stateDict());
    checkpoint.load(DISCRIMINATOR, c.discriminator().stateDict());
    checkpoint.restore(GENERATOR, c.generatorAdam());
    checkpoint.restore(DISCRIMINATOR, c.discriminatorAdam());
    if (checkpoint.has(CODE_WINDOW)) {
      restoreCodeWindow(checkpoint.tensorData(CODE_WINDOW).tensors(), c.recentCodes(), dir);
    } else {
      LOG.warn("{} has no {} (an older checkpoint): the logged utilization window restarts empty, so its first"
          + " rows after the resume count fewer steps.", dir, Checkpoint.weightFile(CODE_WINDOW));
    }
  }

  /** A window's steps as two tensors: {@code lengths} (S,) int64 and {@code indices} (sum of lengths,) int32. */
  static Map<String, TensorData> codeWindow(CodeUsage window) {
    List<int[]> steps = window.recentSteps();
    long[] lengths = new long[steps.size()];
    int total = 0;
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = steps.get(i).length;
      total += steps.get(i).length;
    }
    int[] indices = new int[total];
    int at = 0;
    for (int[] step : steps) {
      System.arraycopy(step, 0, indices, at, step.length);
      at += step.length;
    }
    Map<String, TensorData> out = new LinkedHashMap<>();
    out.put("lengths", TensorData.ofLongs(new long[] {lengths.length}, lengths));
    out.put("indices", TensorData.ofInts(new long[] {total}, indices));
    return out;
  }

  static void restoreCodeWindow(Map<String, TensorData> saved, CodeUsage window, Path dir) {
    TensorData lengthsData = saved.get("lengths");
    TensorData indicesData = saved.get("indices");
    if (lengthsData == null || indicesData == null || lengthsData.dtype().isFloating() || indicesData.dtype().isFloating()) {
      throw new IllegalArgumentException(dir.resolve(Checkpoint.weightFile(CODE_WINDOW))
          + " must hold the integer tensors 'lengths' and 'indices'; it holds " + saved.keySet() + ".");
    }
    long[] lengths = lengthsData.toLongArray();
    long[] indices = indicesData.toLongArray();
    if (java.util.Arrays.stream(lengths).sum() != indices.length) {
      throw new IllegalArgumentException(dir.resolve(Checkpoint.weightFile(CODE_WINDOW)) + ": the step lengths add up to "
          + java.util.Arrays.stream(lengths).sum() + " indices, the file holds " + indices.length + ".");
    }
    int at = 0;
    for (long length : lengths) {
      int[] step = new int[Math.toIntExact(length)];
      for (int i = 0; i < step.length; i++) {
        step[i] = Math.toIntExact(indices[at++]);
      }
      window.addStep(step); // checks each index against K
    }
  }


  /**
   * Rewrites a checkpoint of the earlier layout ({@code ema.weights}, {@code generator.weights},
   * {@code discriminator.weights}, {@code adam-*.weights} in the IBQW format) as a {@link Checkpoint} directory
   * {@code out}: the same tensors, bit for bit, under the same keys; the Adam moments {@code m.KEY} / {@code v.KEY}
   * become {@code exp_avg.KEY} / {@code exp_avg_sq.KEY}.
   */
  public static Path convertLegacy(Path legacy, Path out, NDManager manager) {
    if (!isLegacy(legacy)) {
      throw new IllegalArgumentException(
          legacy + " is not a tokenizer checkpoint of the earlier layout (a directory with state.json and ema.weights).");
    }
    try (NDManager scratch = manager.newSubManager()) {
      TokenizerTrainingConfig config = ConfigFiles.readComplete(legacy.resolve(ConfigFiles.CONFIG_FILE));
      TrainingState state =
          Json.readAnyCase(Files.readString(legacy.resolve(STATE_FILE), StandardCharsets.UTF_8), TrainingState.class, legacy.resolve(STATE_FILE).toString());
      return Checkpoint.writer(out, Checkpoint.Stage.TOKENIZER, state.step(), referenceClass(config))
          .text(ConfigFiles.CONFIG_FILE, ConfigFiles.toYaml(config))
          .state(state)
          .weights(EMA, WeightFile.read(legacy.resolve("ema.weights"), scratch), modelMetadata(config))
          .weights(GENERATOR, WeightFile.read(legacy.resolve("generator.weights"), scratch), Map.of())
          .weights(DISCRIMINATOR, WeightFile.read(legacy.resolve("discriminator.weights"), scratch), Map.of())
          .optimizer(GENERATOR, legacyAdam(legacy.resolve("adam-generator.weights"), state.generatorAdamUpdates(), scratch))
          .optimizer(DISCRIMINATOR, legacyAdam(legacy.resolve("adam-discriminator.weights"), state.discriminatorAdamUpdates(), scratch))
          .commit();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot convert " + legacy + ": " + e.getMessage(), e);
    }
  }

  /** An AdamW holding the moments of an IBQW file ({@code m.KEY}, {@code v.KEY}), only for writing them again. */
  private static AdamW legacyAdam(Path file, long updates, NDManager manager) {
    Map<String, NDArray> state = WeightFile.read(file, manager);
    Map<String, NDArray> shapes = new LinkedHashMap<>();
    state.forEach((k, v) -> {
      if (k.startsWith("m.")) {
        shapes.put(k.substring(2), v);
      }
    });
    AdamW adam = AdamW.adam(shapes, manager, 0.9, 0.999, 1e-8, Map.of());
    adam.restore(state, updates);
    return adam;
  }
}
