package dev.ibq.training.run;

import ai.djl.ndarray.NDArray;
import dev.ibq.training.io.Json;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.ibq.training.optim.AdamW;
import dev.ibq.training.weights.DType;
import dev.ibq.training.weights.Safetensors;
import dev.ibq.training.weights.TensorData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The one checkpoint layout of both training stages: a directory
 *
 * <pre>
 * checkpoint.json              manifest: format, stage, step, reference class, every file with its byte count
 * config.yaml                  the exact config that built the model (the stage's own YAML)
 * state.json                   RNG / data-order state and counters (the stage's own JSON)
 * model.safetensors            the weights a user deploys, under the REFERENCE keys: the tokenizer's EMA generator
 *                              (taming / SEED-Voken keys), the AR transformer (LlamaGen GPT keys)
 * NAME.safetensors             further weight sets a resume needs (tokenizer: generator, discriminator)
 * optimizer[-NAME].safetensors AdamW moments under the same keys, exp_avg.KEY and exp_avg_sq.KEY (PyTorch's state
 *                              names), metadata step = the update count t of the bias correction
 * </pre>
 *
 * <p>A {@link Writer} fills a temporary sibling directory and renames it into place, so a reader never sees a
 * half-written checkpoint under the final name. {@link #open} checks the manifest against the files: a missing or
 * truncated file is an error naming it. Every tensor is written with its exact bytes, so a resumed run continues
 * from the same numbers.
 */
public final class Checkpoint {

  /** The value of {@code format} in the manifest. */
  public static final String FORMAT = "ibq-checkpoint-1";

  public static final String MANIFEST = "checkpoint.json";
  public static final String CONFIG_FILE = "config.yaml";
  public static final String STATE_FILE = "state.json";
  /** The weight set a user deploys; {@code model.safetensors}. */
  public static final String MODEL = "model";

  private static final String SUFFIX = ".safetensors";
  private static final String FIRST_MOMENT = "exp_avg.";
  private static final String SECOND_MOMENT = "exp_avg_sq.";

  /** The training stage a checkpoint belongs to. */
  public enum Stage {
    TOKENIZER,
    AUTOREGRESSIVE;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * What {@code checkpoint.json} says.
   *
   * @param format {@link #FORMAT}
   * @param stage {@code tokenizer} or {@code autoregressive}
   * @param step optimizer steps done
   * @param referenceClass the reference PyTorch class whose {@code load_state_dict(strict=True)} takes model.safetensors
   * @param files file name -> byte count, for every other file of the checkpoint
   */
  public record Manifest(String format, String stage, long step, String referenceClass, Map<String, Long> files) {}

  private final Path directory;
  private final Manifest manifest;

  private Checkpoint(Path directory, Manifest manifest) {
    this.directory = directory;
    this.manifest = manifest;
  }

  /** A run directory keeps its checkpoints in {@code checkpoints/step-N}, the newest linked as {@code checkpoints/last}. */
  public static final String CHECKPOINTS = "checkpoints";
  public static final String LAST = "last";

  /** {@code runDir/checkpoints/step-N}. */
  public static Path stepDirectory(Path runDir, long step) {
    return runDir.resolve(CHECKPOINTS).resolve("step-" + step);
  }

  /** {@code runDir/checkpoints/last}. */
  public static Path last(Path runDir) {
    return runDir.resolve(CHECKPOINTS).resolve(LAST);
  }

  /** Points {@code runDir/checkpoints/last} at {@code dir} (a relative symlink, replaced atomically). */
  public static void pointLastAt(Path runDir, Path dir) {
    Path root = runDir.resolve(CHECKPOINTS);
    Path tmp = root.resolve(LAST + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createSymbolicLink(tmp, root.toAbsolutePath().relativize(dir.toAbsolutePath()));
      Files.move(tmp, root.resolve(LAST), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot point " + root.resolve(LAST) + " at " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The checkpoint directory a user means by {@code path}: the path itself when it is a checkpoint, else its
   * {@code checkpoints/last}; null when neither is.
   */
  public static Path find(Path path) {
    if (isCheckpoint(path)) {
      return path;
    }
    return isCheckpoint(last(path)) ? last(path) : null;
  }

  /** True when {@code dir} holds a manifest (it may still be incomplete: {@link #open} checks that). */
  public static boolean isCheckpoint(Path dir) {
    return Files.isRegularFile(dir.resolve(MANIFEST));
  }

  /**
   * Opens a checkpoint directory of the given stage.
   *
   * @throws IllegalArgumentException when it is not a checkpoint, is of the other stage, or a file the manifest lists
   *     is missing or has another size (truncated copy, disk full)
   */
  public static Checkpoint open(Path dir, Stage stage) {
    if (!isCheckpoint(dir)) {
      throw new IllegalArgumentException(
          dir + " is not a " + stage.label() + " checkpoint: it has no " + MANIFEST + ". Expected a directory written by "
              + (stage == Stage.TOKENIZER ? "train-tokenizer (runs/tokenizer/<run>/checkpoints/last)" : "train-ar (<out>/checkpoints/last)")
              + ".");
    }
    Manifest manifest;
    try {
      // (its file map is keyed by file names: read as written, not through readAnyCase's key renaming)
      manifest = Json.MAPPER.readValue(Files.readString(dir.resolve(MANIFEST), StandardCharsets.UTF_8), Manifest.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(dir.resolve(MANIFEST) + " is not valid JSON (" + e.getOriginalMessage() + "); the checkpoint is damaged.", e);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + dir.resolve(MANIFEST) + ": " + e.getMessage(), e);
    }
    if (manifest == null || !FORMAT.equals(manifest.format()) || manifest.files() == null) {
      throw new IllegalArgumentException(
          dir.resolve(MANIFEST) + " does not describe a checkpoint of format " + FORMAT + " (format "
              + (manifest == null ? null : manifest.format()) + "); it was written by another program or version.");
    }
    if (!stage.label().equals(manifest.stage())) {
      throw new IllegalArgumentException(
          dir + " is a checkpoint of the " + manifest.stage() + " stage; expected one of the " + stage.label() + " stage here.");
    }
    for (Map.Entry<String, Long> file : manifest.files().entrySet()) {
      Path path = dir.resolve(file.getKey());
      if (!Files.isRegularFile(path)) {
        throw new IllegalArgumentException(
            "The checkpoint " + dir + " is incomplete: " + file.getKey() + " is missing (the manifest lists it with "
                + file.getValue() + " bytes). Resume from an earlier checkpoint or copy the directory again.");
      }
      long size = size(path);
      if (size != file.getValue()) {
        throw new IllegalArgumentException(
            "The checkpoint " + dir + " is damaged: " + file.getKey() + " has " + size + " bytes but was written with "
                + file.getValue() + " (truncated copy or full disk?). Resume from an earlier checkpoint or copy the directory again.");
      }
    }
    return new Checkpoint(dir, manifest);
  }

  public Path directory() {
    return directory;
  }

  public Manifest manifest() {
    return manifest;
  }

  public long step() {
    return manifest.step();
  }

  /** The text of a file of this checkpoint ({@link #CONFIG_FILE}, {@link #STATE_FILE}). */
  public String text(String file) {
    requireListed(file);
    try {
      return Files.readString(directory.resolve(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + directory.resolve(file) + ": " + e.getMessage(), e);
    }
  }

  /** {@code state.json} as a record of the stage's type. */
  public <T> T state(Class<T> type) {
    try {
      return Json.readAnyCase(text(STATE_FILE), type, directory().resolve(STATE_FILE).toString());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(directory.resolve(STATE_FILE) + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  /** The file of a weight set ({@code model} -> {@code model.safetensors}). */
  public static String weightFile(String set) {
    return set + SUFFIX;
  }

  /** The file of an optimizer's state ({@code optimizer.safetensors} for the model's, else {@code optimizer-NAME}). */
  public static String optimizerFile(String set) {
    return (MODEL.equals(set) ? "optimizer" : "optimizer-" + set) + SUFFIX;
  }

  /** A weight set as new arrays on {@code manager}, in file order. */
  public Map<String, NDArray> tensors(String set, NDManager manager) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    read(weightFile(set)).tensors().forEach((key, t) -> out.put(key, toArray(t, manager)));
    return out;
  }

  /** Whether the checkpoint lists the set {@code NAME.safetensors} (sets added in later versions may be absent). */
  public boolean has(String set) {
    return manifest.files().containsKey(weightFile(set));
  }

  /** A set of plain tensors as written by {@link Writer#tensors}. */
  public Safetensors.Contents tensorData(String set) {
    return read(weightFile(set));
  }

  /** An optimizer's moments ({@code exp_avg.KEY}, {@code exp_avg_sq.KEY}) as new arrays on {@code manager}. */
  public Map<String, NDArray> optimizerTensors(String set, NDManager manager) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    read(optimizerFile(set)).tensors().forEach((key, t) -> out.put(key, toArray(t, manager)));
    return out;
  }

  /**
   * Copies a weight set into {@code target} in place (the blocks keep their references); strict, like PyTorch's
   * {@code load_state_dict(strict=True)}: the same keys, shapes and types, or an error listing every difference.
   */
  public void load(String set, Map<String, NDArray> target) {
    String file = weightFile(set);
    copyInto(read(file).tensors(), target, directory.resolve(file).toString());
  }

  /**
   * Copies the tensors of a plain safetensors file (a reference state dict, e.g. one written by PyTorch) into
   * {@code target} in place, strictly as {@link #load} does.
   */
  public static void loadStateDict(Path file, Map<String, NDArray> target) {
    try {
      copyInto(Safetensors.read(file).tensors(), target, file.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Restores an optimizer's moments (same keys as its parameters) and its update count. */
  public void restore(String set, AdamW optimizer) {
    String file = optimizerFile(set);
    Safetensors.Contents contents = read(file);
    Map<String, TensorData> first = new LinkedHashMap<>();
    Map<String, TensorData> second = new LinkedHashMap<>();
    contents.tensors().forEach((key, t) -> {
      if (key.startsWith(SECOND_MOMENT)) {
        second.put(key.substring(SECOND_MOMENT.length()), t);
      } else if (key.startsWith(FIRST_MOMENT)) {
        first.put(key.substring(FIRST_MOMENT.length()), t);
      } else {
        first.put(key, t); // reported as unexpected by copyInto
      }
    });
    copyInto(first, optimizer.firstMoments(), directory.resolve(file) + " (" + FIRST_MOMENT + "*)");
    copyInto(second, optimizer.secondMoments(), directory.resolve(file) + " (" + SECOND_MOMENT + "*)");
    String step = contents.metadata().get("step");
    if (step == null || !step.matches("[0-9]+")) {
      throw new IllegalArgumentException(directory.resolve(file) + " has no update count (metadata 'step'); the checkpoint is damaged.");
    }
    optimizer.restoreUpdates(Long.parseLong(step));
  }

  private Safetensors.Contents read(String file) {
    requireListed(file);
    try {
      return Safetensors.read(directory.resolve(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read " + directory.resolve(file) + ": " + e.getMessage(), e);
    }
  }

  private void requireListed(String file) {
    if (!manifest.files().containsKey(file)) {
      throw new IllegalArgumentException(
          "The checkpoint " + directory + " has no " + file + "; it holds " + new TreeSet<>(manifest.files().keySet()) + ".");
    }
  }

  private static void copyInto(Map<String, TensorData> saved, Map<String, NDArray> target, String file) {
    List<String> problems = new ArrayList<>();
    TreeSet<String> missing = new TreeSet<>(target.keySet());
    missing.removeAll(saved.keySet());
    TreeSet<String> unexpected = new TreeSet<>(saved.keySet());
    unexpected.removeAll(target.keySet());
    if (!missing.isEmpty()) {
      problems.add(missing.size() + " missing key(s): " + missing);
    }
    if (!unexpected.isEmpty()) {
      problems.add(unexpected.size() + " unexpected key(s): " + unexpected);
    }
    for (Map.Entry<String, NDArray> e : target.entrySet()) {
      TensorData t = saved.get(e.getKey());
      if (t == null) {
        continue;
      }
      long[] shape = e.getValue().getShape().getShape();
      if (!Arrays.equals(t.shape(), shape) || t.dtype() != dtype(e.getValue().getDataType(), e.getKey())) {
        problems.add(e.getKey() + ": file " + t.dtype() + Arrays.toString(t.shape()) + " vs model "
            + dtype(e.getValue().getDataType(), e.getKey()) + Arrays.toString(shape));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          file + " does not match the model built from the config:\n  " + String.join("\n  ", problems)
              + "\nThe weights and the config come from different models (or runs).");
    }
    for (Map.Entry<String, NDArray> e : target.entrySet()) {
      e.getValue().set(nativeCopy(saved.get(e.getKey())));
    }
  }

  private static NDArray toArray(TensorData t, NDManager manager) {
    DataType type = switch (t.dtype()) {
      case F32 -> DataType.FLOAT32;
      case I64 -> DataType.INT64;
      default -> throw new IllegalArgumentException(
          "A checkpoint tensor is " + t.dtype() + "; this project writes F32 and I64 only.");
    };
    return manager.create(nativeCopy(t), new Shape(t.shape()), type);
  }

  private static ByteBuffer nativeCopy(TensorData t) {
    ByteBuffer source = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer copy = ByteBuffer.allocateDirect(source.remaining()).order(ByteOrder.nativeOrder());
    if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
      copy.put(source);
    } else {
      throw new IllegalStateException("Big-endian hosts are not supported: safetensors data is little-endian.");
    }
    return copy.flip();
  }

  private static DType dtype(DataType type, String key) {
    return switch (type) {
      case FLOAT32 -> DType.F32;
      case INT64 -> DType.I64;
      default -> throw new IllegalArgumentException("Tensor '" + key + "' is " + type + "; checkpoints hold float32 and int64 tensors.");
    };
  }

  private static long size(Path path) {
    try {
      return Files.size(path);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the size of " + path, e);
    }
  }

  /** Starts a checkpoint that {@link Writer#commit()} moves to {@code dir} (replacing a previous one there). */
  public static Writer writer(Path dir, Stage stage, long step, String referenceClass) {
    return new Writer(dir, stage, step, referenceClass);
  }

  /** Fills a temporary directory beside the target; nothing is visible under the target name until {@link #commit}. */
  public static final class Writer {
    private final Path target;
    private final Path tmp;
    private final Stage stage;
    private final long step;
    private final String referenceClass;
    private final Map<String, Long> files = new LinkedHashMap<>();

    private Writer(Path target, Stage stage, long step, String referenceClass) {
      this.target = target.toAbsolutePath();
      this.tmp = this.target.resolveSibling(this.target.getFileName() + ".tmp");
      this.stage = stage;
      this.step = step;
      this.referenceClass = referenceClass;
      try {
        deleteTree(tmp); // left over from a crash
        Files.createDirectories(tmp);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot create the checkpoint directory " + tmp + ": " + e.getMessage(), e);
      }
    }

    /** Writes {@code config.yaml}, {@code state.json} or another text file. */
    public Writer text(String file, String content) {
      try {
        Files.writeString(tmp.resolve(file), content, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write " + tmp.resolve(file) + ": " + e.getMessage(), e);
      }
      return record(file);
    }

    /** Writes {@code state.json} from a record. */
    public Writer state(Object state) {
      return text(STATE_FILE, Json.pretty(state) + "\n");
    }

    /** Writes a weight set ({@code NAME.safetensors}) under its keys, in map order. */
    public Writer weights(String set, Map<String, NDArray> tensors, Map<String, String> metadata) {
      String file = weightFile(set);
      Map<String, String> meta = new LinkedHashMap<>(metadata);
      meta.putIfAbsent("format", "pt");
      try {
        Safetensors.writeStateDict(tmp.resolve(file), tensors, meta);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write " + tmp.resolve(file) + ": " + e.getMessage(), e);
      }
      return record(file);
    }

    /** Writes plain tensors ({@code NAME.safetensors}), e.g. training statistics that are not weights. */
    public Writer tensors(String set, Map<String, TensorData> tensors, Map<String, String> metadata) {
      String file = weightFile(set);
      try {
        Safetensors.write(tmp.resolve(file), tensors, metadata);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write " + tmp.resolve(file) + ": " + e.getMessage(), e);
      }
      return record(file);
    }

    /** Writes an optimizer's moments under its parameters' keys and its update count. */
    public Writer optimizer(String set, AdamW optimizer) {
      Map<String, NDArray> moments = new LinkedHashMap<>();
      optimizer.firstMoments().forEach((k, v) -> moments.put(FIRST_MOMENT + k, v));
      optimizer.secondMoments().forEach((k, v) -> moments.put(SECOND_MOMENT + k, v));
      String file = optimizerFile(set);
      try {
        Safetensors.writeStateDict(tmp.resolve(file), moments, Map.of("step", Long.toString(optimizer.updates()), "parameters", set));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write " + tmp.resolve(file) + ": " + e.getMessage(), e);
      }
      return record(file);
    }

    private Writer record(String file) {
      files.put(file, size(tmp.resolve(file)));
      return this;
    }

    /** Writes the manifest and moves the directory into place. */
    public Path commit() {
      try {
        Manifest manifest = new Manifest(FORMAT, stage.label(), step, referenceClass, files);
        Files.writeString(tmp.resolve(MANIFEST), Json.pretty(manifest) + "\n", StandardCharsets.UTF_8);
        if (Files.exists(target)) {
          // NOTE: a directory cannot be replaced in one rename; the old one is moved aside first, so between the
          // two renames a crash leaves <dir>.old (complete) and no <dir>.
          Path old = target.resolveSibling(target.getFileName() + ".old");
          deleteTree(old);
          Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
          deleteTree(old);
        } else {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        }
        return target;
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write the checkpoint " + target + ": " + e.getMessage(), e);
      }
    }
  }

  /** Deletes a directory tree (or nothing, when absent). */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
