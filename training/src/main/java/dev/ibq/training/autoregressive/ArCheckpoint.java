package dev.ibq.training.autoregressive;

import dev.ibq.training.io.Json;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.ibq.training.optim.AdamW;
import dev.ibq.training.run.BatchOrder;
import dev.ibq.training.run.Checkpoint;
import dev.ibq.training.tokenizer.train.RecordTree;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An AR checkpoint: a {@link Checkpoint} directory (stage autoregressive) holding
 *
 * <pre>
 * checkpoint.json          manifest (step, reference class, file sizes)
 * config.yaml              model: the ArConfig; training: the ArTrainConfig (absent when unknown);
 *                          tokenizer: id, name, preprocessing of the training records; class_names
 * state.json               ArTrainingState: step, data position, seed (batch order, label dropout, dropout masks)
 * model.safetensors        the transformer under LlamaGen's GPT keys (see below)
 * optimizer.safetensors    AdamW moments exp_avg.KEY / exp_avg_sq.KEY, metadata step (absent for a model-only save)
 * </pre>
 *
 * <p>Keys and shapes of model.safetensors (C width, K codebook, F SwiGLU width, L layers), as in LlamaGen's
 * {@code autoregressive/models/gpt.py} {@code Transformer}:
 *
 * <pre>
 * tok_embeddings.weight                 (K, C)
 * cls_embedding.embedding_table.weight  (classes + 1, C)     the last row is the null class (class_dropout_prob > 0)
 * layers.N.attention.wqkv.weight        (3C, C)              rows [0, C) q, [C, 2C) k, [2C, 3C) v (n_kv_head = n_head)
 * layers.N.attention.wo.weight          (C, C)
 * layers.N.feed_forward.w1|w3.weight    (F, C),  w2 (C, F)   F = find_multiple(int(2 * 4C / 3), multiple_of)
 * layers.N.attention_norm.weight        (C)
 * layers.N.ffn_norm.weight              (C)
 * norm.weight                           (C)
 * output.weight                         (K, C)
 * </pre>
 *
 * NOTE: where this model departs from LlamaGen's GPT (so its weights load strictly into a LlamaGen-style module
 * with these additions, as training/src/test/python/make_reference_fixture.py builds it, not into gpt.py as is):
 * (1) AdaLN class conditioning (IBQ.md), extra keys {@code layers.N.adaLN_modulation.1.weight} (6C, C) /
 * {@code .bias} (6C) and {@code adaLN_modulation.1.weight} (2C, C) / {@code .bias} (2C) before the head; LlamaGen
 * conditions only through the class token. (2) The class token's RoPE: LlamaGen's {@code precompute_freqs_cis_2d}
 * gives the {@code cls_token_num} prefix positions a zero cos/sin table (q and k of the class token become 0); here
 * the class token is not rotated (cos 1, sin 0). The grid's 2-D RoPE itself is LlamaGen's: pairs (2j, 2j+1), the
 * first d/4 pairs by row, the last d/4 by column, frequencies base^(-j / (d/4)); our grid may be non-square.
 * (3) One class token ({@code cls_token_num = 1}), logits of all N positions (LlamaGen's training slice).
 *
 * <p>Checkpoints of the earlier single-file format ({@code ar-checkpoint.ar}, magic {@code IBQ-AR-1}) are converted
 * once with {@code ./ibq convert-checkpoint} ({@link #convertLegacy}).
 */
public final class ArCheckpoint {

  /** The reference class whose module tree (plus the AdaLN keys, see above) takes model.safetensors. */
  public static final String REFERENCE_CLASS = "autoregressive.models.gpt.Transformer";

  private static final String LEGACY_MAGIC = "IBQ-AR-1";
  /** The file name train-ar used for the earlier format. */
  static final String LEGACY_FILE = "ar-checkpoint.ar";

  private ArCheckpoint() {}

  /**
   * What a checkpoint says about itself.
   *
   * @param config the model shape
   * @param tokenizerId SHA-256 id of the tokenizer whose tokens the model was trained on
   * @param tokenizerName human-readable tokenizer name
   * @param preprocessing canonical preprocessing string of the training records
   * @param step optimizer steps done
   * @param trainConfig the training settings (null when unknown)
   * @param classNames names of the classes, index = label (may be empty)
   */
  public record Header(
      ArConfig config,
      String tokenizerId,
      String tokenizerName,
      String preprocessing,
      long step,
      ArTrainConfig trainConfig,
      java.util.List<String> classNames) {}

  /**
   * The RNG and data-order state of a run ({@code state.json}): the {@link BatchOrder} position of the next batch
   * (the permutations are a function of the seed); label dropout and dropout masks are seeded by (seed, step), so
   * these numbers are the whole random state.
   *
   * @param step optimizer steps done
   * @param dataEpoch epoch of the next batch
   * @param dataOffset offset of the next batch in that epoch's permutation
   * @param seed the run's seed
   */
  public record ArTrainingState(long step, long dataEpoch, int dataOffset, long seed) {
    public BatchOrder.Position position() {
      return new BatchOrder.Position(dataEpoch, dataOffset);
    }
  }

  /** A loaded checkpoint: the rebuilt model (caller closes it). */
  public static final class Loaded implements AutoCloseable {
    private final Header header;
    private final Transformer model;
    private final Checkpoint checkpoint;

    private Loaded(Header header, Transformer model, Checkpoint checkpoint) {
      this.header = header;
      this.model = model;
      this.checkpoint = checkpoint;
    }

    public Header header() {
      return header;
    }

    public Transformer model() {
      return model;
    }

    /** The RNG and data-order state to resume from. */
    public ArTrainingState state() {
      return checkpoint.state(ArTrainingState.class);
    }

    /** Restores the AdamW moments and update count saved with the model (for resuming). */
    public void restoreOptimizer(AdamW optimizer) {
      checkpoint.restore(Checkpoint.MODEL, optimizer);
    }

    @Override
    public void close() {
      model.close();
    }
  }

  /** Writes a model-only checkpoint directory {@code dir} (data position 0); {@code optimizer} may be null. */
  public static Path save(Path dir, Header header, Transformer model, AdamW optimizer) {
    return save(dir, header, model, optimizer, new BatchOrder.Position(0, 0));
  }

  /**
   * Writes the checkpoint directory {@code dir} (replacing one there).
   *
   * @param optimizer the AdamW state, or null for a model-only save
   * @param next the batch order's position of the next batch
   */
  public static Path save(Path dir, Header header, Transformer model, AdamW optimizer, BatchOrder.Position next) {
    long seed = header.trainConfig() == null ? 0 : header.trainConfig().seed();
    Checkpoint.Writer writer = Checkpoint.writer(dir, Checkpoint.Stage.AUTOREGRESSIVE, header.step(), REFERENCE_CLASS)
        .text(Checkpoint.CONFIG_FILE, toYaml(header))
        .state(new ArTrainingState(header.step(), next.epoch(), next.offset(), seed))
        .weights(Checkpoint.MODEL, model.parameters(), modelMetadata(header.config()));
    if (optimizer != null) {
      writer.optimizer(Checkpoint.MODEL, optimizer);
    }
    return writer.commit();
  }

  /**
   * LlamaGen's {@code ModelArgs} for a config (snake_case in the file), plus the grid and the AdaLN flag this model
   * adds, so a reader can build the module from the weight file alone.
   */
  record ModelArgs(
      int dim, int nLayer, int nHead, int multipleOf, int vocabSize, int numClasses, int clsTokenNum, int gridHeight,
      int gridWidth, float ropeBase, float normEps, float classDropoutProb, boolean adaLn) {
    static ModelArgs of(ArConfig c) {
      return new ModelArgs(
          c.dim(), c.nLayers(), c.nHeads(), c.ffnMultipleOf(), c.vocabSize(), c.numClasses(), 1, c.gridHeight(),
          c.gridWidth(), c.ropeBase(), c.normEps(), c.classDropout(), true);
    }
  }

  private static Map<String, String> modelMetadata(ArConfig c) {
    return Map.of("ibq.reference_class", REFERENCE_CLASS, "ibq.model_args", Json.write(ModelArgs.of(c)));
  }

  /** Reads only what the checkpoint (a checkpoint directory or a train-ar output folder) says about itself. */
  public static Header readHeader(Path dir) {
    return header(open(dir));
  }

  /** Rebuilds the model from the checkpoint's own config and loads its weights. */
  public static Loaded load(Path dir, NDManager manager) {
    Checkpoint checkpoint = open(dir);
    Header header = header(checkpoint);
    Transformer model = new Transformer(manager, header.config(), 0);
    try {
      checkpoint.load(Checkpoint.MODEL, model.parameters());
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    return new Loaded(header, model, checkpoint);
  }

  private static Checkpoint open(Path dir) {
    if (isLegacy(dir)) {
      throw new IllegalArgumentException(
          dir + " is an AR checkpoint in the earlier single-file format (" + LEGACY_MAGIC + "), which this version no longer"
              + " reads directly. Convert it once: ./ibq convert-checkpoint --in " + dir + " --out <new directory>"
              + " (the weights are copied bit for bit into safetensors under the same keys).");
    }
    if (!Files.exists(dir)) {
      throw new IllegalArgumentException(
          "AR checkpoint " + dir + " does not exist; pass the output folder of train-ar or one of its checkpoints/step-N.");
    }
    Path found = Checkpoint.find(dir);
    if (found == null && isLegacy(dir.resolve(LEGACY_FILE))) {
      return open(dir.resolve(LEGACY_FILE)); // says how to convert it
    }
    return Checkpoint.open(found == null ? dir : found, Checkpoint.Stage.AUTOREGRESSIVE);
  }

  private static String toYaml(Header header) {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("model", RecordTree.toTree(header.config()));
    if (header.trainConfig() != null) {
      tree.put("training", RecordTree.toTree(header.trainConfig()));
    }
    Map<String, Object> tokenizer = new LinkedHashMap<>();
    tokenizer.put("id", header.tokenizerId());
    tokenizer.put("name", header.tokenizerName());
    tokenizer.put("preprocessing", header.preprocessing());
    tree.put("tokenizer", tokenizer);
    tree.put("class_names", header.classNames() == null ? List.of() : header.classNames());
    try {
      return Json.YAML.writeValueAsString(tree);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("Could not write the AR config as YAML: " + e.getOriginalMessage(), e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Header header(Checkpoint checkpoint) {
    String source = checkpoint.directory().resolve(Checkpoint.CONFIG_FILE).toString();
    Object loaded;
    try {
      loaded = Json.readYaml(checkpoint.text(Checkpoint.CONFIG_FILE));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(source + " is not valid YAML: " + e.getOriginalMessage(), e);
    }
    if (!(loaded instanceof Map<?, ?> tree) || !(tree.get("model") instanceof Map<?, ?> model)
        || !(tree.get("tokenizer") instanceof Map<?, ?> tokenizer)) {
      throw new IllegalArgumentException(source + " must be a map with the sections model, tokenizer (and training); the checkpoint is damaged.");
    }
    ArConfig config = RecordTree.fromTree(ArConfig.class, (Map<String, ?>) model, source + " model");
    ArTrainConfig train = tree.get("training") instanceof Map<?, ?> t
        ? RecordTree.fromTree(ArTrainConfig.class, (Map<String, ?>) t, source + " training")
        : null;
    List<String> classNames = tree.get("class_names") instanceof List<?> names
        ? names.stream().map(String::valueOf).toList()
        : List.of();
    return new Header(
        config, text(tokenizer.get("id")), text(tokenizer.get("name")), text(tokenizer.get("preprocessing")),
        checkpoint.step(), train, classNames);
  }

  private static String text(Object value) {
    return value == null ? null : String.valueOf(value);
  }

  /** True for a file of the earlier single-file format. */
  static boolean isLegacy(Path file) {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    try (InputStream in = Files.newInputStream(file)) {
      return LEGACY_MAGIC.equals(new String(in.readNBytes(LEGACY_MAGIC.length()), StandardCharsets.US_ASCII));
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Rewrites a checkpoint of the earlier single-file format ({@code IBQ-AR-1}: JSON header, then weights and AdamW
   * moments as DJL-encoded tensors) as a checkpoint directory {@code out}, the same tensors bit for bit under the
   * same keys.
   */
  public static Path convertLegacy(Path legacy, Path out, NDManager manager) {
    if (!isLegacy(legacy)) {
      throw new IllegalArgumentException(legacy + " is not an AR checkpoint of the earlier format (a file starting with " + LEGACY_MAGIC + ").");
    }
    try (NDManager scratch = manager.newSubManager();
        DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(legacy)))) {
      Header header = header(in, legacy);
      Map<String, NDArray> weights = readTensors(in, scratch);
      Map<String, NDArray> first = readTensors(in, scratch);
      Map<String, NDArray> second = readTensors(in, scratch);
      try (Transformer model = new Transformer(scratch, header.config(), 0)) {
        if (!weights.keySet().equals(model.parameters().keySet())) {
          throw new IllegalArgumentException(
              legacy + " holds tensors " + weights.keySet() + " but its config builds " + model.parameters().keySet() + ".");
        }
        weights.forEach((name, values) -> model.parameters().get(name).set(values.toByteBuffer()));
        AdamW optimizer = null;
        if (!first.isEmpty()) {
          optimizer = AdamW.adam(model.parameters(), scratch, 0.9, 0.95, 1e-8, Map.of());
          optimizer.restore(first, second, header.step());
        }
        return save(out, header, model, optimizer);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read the AR checkpoint " + legacy + ": " + e.getMessage(), e);
    }
  }

  private static Header header(DataInputStream in, Path file) throws IOException {
    byte[] magic = new byte[LEGACY_MAGIC.length()];
    in.readFully(magic);
    if (!LEGACY_MAGIC.equals(new String(magic, StandardCharsets.US_ASCII))) {
      throw new IllegalArgumentException(
          file + " is not an AR checkpoint (it does not start with " + LEGACY_MAGIC + "); pass a file written by train-ar.");
    }
    byte[] json = new byte[in.readInt()];
    in.readFully(json);
    return Json.readAnyCase(new String(json, StandardCharsets.UTF_8), Header.class, "the AR checkpoint header");
  }

  private static Map<String, NDArray> readTensors(DataInputStream in, NDManager manager) throws IOException {
    int count = in.readInt();
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String name = in.readUTF();
      byte[] bytes = new byte[in.readInt()];
      in.readFully(bytes);
      out.put(name, NDArray.decode(manager, bytes));
    }
    return out;
  }
}
