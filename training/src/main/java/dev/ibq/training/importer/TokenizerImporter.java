package dev.ibq.training.importer;

import dev.ibq.training.io.Json;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.ibq.image.Interpolation;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.ResizePolicy;
import dev.ibq.training.export.ModelCard;
import dev.ibq.training.export.TokenizerExporter;
import dev.ibq.training.importer.ReferenceKeys.WeightChoice;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Imports a reference tokenizer (SEED-Voken IBQ or taming VQGAN: a Lightning {@code .ckpt} or a {@code .safetensors}
 * file, plus the run's YAML) into this project's model and writes the export the stream job runs.
 *
 * <p>Steps: {@link ReferenceConfig} rebuilds the {@link TokenizerArchitecture} from the YAML; {@link WeightSource}
 * opens the weights (the torch reader's allow-list applies); {@link ReferenceKeys} picks the EMA or raw copy and
 * checks every key and shape; the tensors are loaded into {@link IbqTokenizerModel} with {@code loadStateDict}; and
 * {@link TokenizerExporter} writes {@code encoder.onnx} / {@code decoder.onnx} with the tokenizer id, K, D, grid and
 * the paper's preprocessing ({@link #paperPreprocessing}).
 */
public final class TokenizerImporter {

  private TokenizerImporter() {}

  /**
   * What to import.
   *
   * @param weights a {@code .ckpt} (torch / Lightning) or {@code .safetensors} file
   * @param config the run's YAML
   * @param choice EMA or raw weights
   * @param name tokenizer name in the metadata; null for {@code imported-<config file name>}
   * @param quantizerChunk codes per in-graph argmax chunk
   * @param allowPickleClasses extra classes a checkpoint's pickle may hold, read as inert data
   */
  public record Request(Path weights, Path config, WeightChoice choice, String name, int quantizerChunk, Set<String> allowPickleClasses) {
    public Request {
      choice = choice == null ? WeightChoice.AUTO : choice;
      allowPickleClasses = allowPickleClasses == null ? Set.of() : Set.copyOf(allowPickleClasses);
      if (quantizerChunk <= 0) {
        throw new IllegalArgumentException("quantizerChunk must be positive; got " + quantizerChunk + ".");
      }
    }

    public static Request of(Path weights, Path config) {
      return new Request(weights, config, WeightChoice.AUTO, null, TokenizerExporter.DEFAULT_CHUNK, Set.of());
    }

    public Request withChoice(WeightChoice c) {
      return new Request(weights, config, c, name, quantizerChunk, allowPickleClasses);
    }
  }

  /**
   * A model loaded from reference weights.
   *
   * @param model the DJL model (its tensors live in the caller's manager)
   * @param config the parsed YAML
   * @param mapping the keys taken and left
   * @param weightsDescription what the weight file is
   */
  public record Loaded(IbqTokenizerModel model, ReferenceConfig config, ReferenceKeys.Mapping mapping, String weightsDescription) {
    /** "EMA" or "raw". */
    public String weightsUsed() {
      return mapping.ema() ? "EMA" : "raw";
    }
  }

  /**
   * What was written.
   *
   * @param exported the ONNX files and their metadata
   * @param loaded the model they came from
   * @param preprocessing the preprocessing stored in both files
   */
  public record Result(TokenizerExporter.Exported exported, Loaded loaded, PreprocessingSpec preprocessing) {}

  /**
   * The paper's evaluation preprocessing at {@code resolution}: RGB (or gray for 1 channel), shorter side scaled to
   * the resolution with bilinear interpolation without antialiasing (albumentations' SmallestMaxSize default, OpenCV
   * INTER_LINEAR), center crop, x / 127.5 - 1.
   */
  public static PreprocessingSpec paperPreprocessing(TokenizerArchitecture arch) {
    if (arch.inChannels() != 1 && arch.inChannels() != 3) {
      throw new ImportException("The tokenizer takes " + arch.inChannels() + "-channel images; the stream's preprocessing makes 1 (gray) or 3 (RGB).");
    }
    return new PreprocessingSpec(
        arch.resolution(), arch.resolution(), arch.inChannels(), ResizePolicy.RESIZE_SHORTER_CENTER_CROP, Interpolation.BILINEAR, 0);
  }

  /** Reads the config and weights and loads them into a new model on {@code manager}. */
  public static Loaded load(Request request, NDManager manager) throws IOException {
    ReferenceConfig config = ReferenceConfig.read(request.config());
    try (WeightSource source = WeightSource.open(request.weights(), request.allowPickleClasses())) {
      IbqTokenizerModel model = IbqTokenizerModel.create(config.architecture(), manager);
      Map<String, long[]> expected = new LinkedHashMap<>();
      model.stateDict().forEach((k, v) -> expected.put(k, v.getShape().getShape()));
      ReferenceKeys.Mapping mapping = ReferenceKeys.resolve(
          source.shapes(), expected, request.choice(), request.weights().toString(), "the config " + request.config());
      try (NDManager scratch = manager.newSubManager()) {
        Map<String, NDArray> state = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : mapping.sourceKeys().entrySet()) {
          float[] values = source.read(e.getValue());
          state.put(e.getKey(), scratch.create(values, new Shape(expected.get(e.getKey()))));
        }
        model.loadStateDict(state);
      }
      return new Loaded(model, config, mapping, source.description());
    }
  }

  /** Imports and exports to {@code out}: encoder.onnx, decoder.onnx, model-card.{json,md}. */
  public static Result run(Request request, Path out) throws IOException {
    try (NDManager manager = NDManager.newBaseManager()) {
      Loaded loaded = load(request, manager);
      TokenizerArchitecture arch = loaded.config().architecture();
      PreprocessingSpec spec = paperPreprocessing(arch);
      String name = request.name() != null ? request.name() : "imported-" + stem(request.config());
      Map<String, Object> record = new LinkedHashMap<>();
      record.put("source", "import");
      record.put("model_class", loaded.config().modelClass());
      record.put("weights", loaded.weightsUsed());
      record.put("weight_file", request.weights().getFileName().toString());
      record.put("config_file", request.config().getFileName().toString());
      record.put("ddconfig", loaded.config().ddconfig());
      record.put("architecture", arch);
      record.put("ignored_training_keys", loaded.mapping().ignored().size());
      String configJson = Json.write(record);
      TokenizerExporter.Exported exported = TokenizerExporter.export(
          loaded.model(), new TokenizerExporter.Description(name, spec.toCanonicalString(), configJson, request.quantizerChunk()), out);
      ModelCard.write(out, exported, "import of " + loaded.weightsDescription() + " with " + request.config().getFileName() + " ("
          + loaded.weightsUsed() + " weights, model class " + loaded.config().modelClass() + ")", null);
      return new Result(exported, loaded, spec);
    }
  }

  private static String stem(Path file) {
    String n = file.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot > 0 ? n.substring(0, dot) : n;
  }

  /** Summary lines for the CLI. */
  public static List<String> summary(Result r) {
    TokenizerArchitecture a = r.loaded().config().architecture();
    return List.of(
        "imported " + r.loaded().weightsDescription() + " (" + r.loaded().weightsUsed() + " weights; "
            + r.loaded().mapping().ignored().size() + " training-state keys left out: loss.*, EMA bookkeeping)",
        "model class " + r.loaded().config().modelClass() + ": " + a.quantizer() + ", K=" + a.codebookSize() + ", D=" + a.codeDim()
            + ", " + a.resolution() + "x" + a.resolution() + "x" + a.inChannels() + " -> " + a.gridHeight() + "x" + a.gridWidth() + " tokens",
        "preprocessing " + r.preprocessing(),
        r.loaded().config().unknownKeys().isEmpty()
            ? "every model argument of the YAML is known"
            : "model arguments unknown to the importer, left out as training options: " + r.loaded().config().unknownKeys(),
        "wrote " + r.exported().encoder() + " and " + r.exported().decoder(),
        "tokenizer id " + r.exported().tokenizerId());
  }
}
