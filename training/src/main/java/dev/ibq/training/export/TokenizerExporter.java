package dev.ibq.training.export;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.model.TokenizerMetadata;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Writes a tokenizer's {@code encoder.onnx} and {@code decoder.onnx} from its architecture and weights,
 * with the tokenizer metadata ({@link TokenizerMetadata}) in both.
 */
public final class TokenizerExporter {
  /** Default codes per quantizer chunk; see {@link QuantizerGraph}. */
  public static final int DEFAULT_CHUNK = 8192;

  private TokenizerExporter() {}

  /**
   * What to write besides the weights.
   *
   * @param name tokenizer name
   * @param preprocessing canonical PreprocessingSpec string
   * @param configJson the full config JSON that built the model
   * @param quantizerChunk codes per quantizer chunk (K or more = no chunking)
   * @param coarseRerank the int8 coarse + float32 rerank search instead of the exact chunked argmax, or null (the
   *     default: exact)
   */
  public record Description(
      String name, String preprocessing, String configJson, int quantizerChunk, CoarseRerank coarseRerank) {
    /** The exact chunked argmax. */
    public Description(String name, String preprocessing, String configJson, int quantizerChunk) {
      this(name, preprocessing, configJson, quantizerChunk, null);
    }
  }

  /**
   * The reduced-precision token search of {@link CoarseRerankGraph} (IBQ only): int8 scores keep {@code perChunk}
   * candidates per chunk, {@code candidates} of them are rescored in float32. Tokens can differ from the exact argmax
   * where the int8 error exceeds the gap to the C-th best code (measured in training/benchmarks/quantizer-peak.md).
   */
  public record CoarseRerank(int perChunk, int candidates) {
    public CoarseRerank {
      if (perChunk < 1 || candidates < 1) {
        throw new IllegalArgumentException("The coarse-rerank search got " + perChunk + " candidates per chunk and "
            + candidates + " rescored; expected at least 1 of each.");
      }
    }

    /** Parses "T,C" (per chunk, rescored), e.g. "4,16". */
    public static CoarseRerank parse(String text) {
      String[] parts = text.split(",");
      try {
        if (parts.length == 2) {
          return new CoarseRerank(Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()));
        }
      } catch (NumberFormatException e) {
        // the error below
      }
      throw new IllegalArgumentException(
          "The coarse-rerank setting '" + text + "' is not two positive integers 'PER_CHUNK,CANDIDATES' such as '4,16'.");
    }
  }

  /** The written files and the metadata they carry. */
  public record Exported(Path encoder, Path decoder, String tokenizerId, Map<String, String> encoderMetadata) {}

  /**
   * Exports a DJL tokenizer (load the EMA weights into it first) to {@code dir/encoder.onnx} and
   * {@code dir/decoder.onnx}.
   */
  public static Exported export(IbqTokenizerModel model, Description desc, Path dir) throws IOException {
    return export(model.architecture(), NamedWeights.fromStateDict(model.stateDict()), desc, dir);
  }

  /** Exports the given weights to {@code dir/encoder.onnx} and {@code dir/decoder.onnx}. */
  static Exported export(TokenizerArchitecture arch, NamedWeights weights, Description desc, Path dir) throws IOException {
    PreprocessingSpec spec = PreprocessingSpec.parse(desc.preprocessing());
    if (spec.channels() != arch.inChannels() || spec.height() != arch.resolution() || spec.width() != arch.resolution()) {
      throw new IllegalArgumentException(
          "The preprocessing spec " + spec + " produces " + spec.channels() + "x" + spec.height() + "x" + spec.width()
              + " tensors, but the tokenizer takes " + arch.inChannels() + "x" + arch.resolution() + "x"
              + arch.resolution() + " images.");
    }
    TokenizerGraphs graphs = new TokenizerGraphs(arch, weights);
    OnnxGraph encoder = graphs.encoder(desc.quantizerChunk(), desc.coarseRerank());
    OnnxGraph decoder = graphs.decoder();
    Set<String> unused = weights.unused().stream().filter(TokenizerExporter::exportable).collect(java.util.stream.Collectors.toSet());
    if (!unused.isEmpty()) {
      throw new IllegalArgumentException(
          "The checkpoint holds tokenizer weights that the architecture does not use: " + unused
              + "; the architecture config does not match the weights.");
    }
    String id = TokenizerId.of(weights.takenTensors());
    Map<String, String> encMeta = metadata(arch, desc, id, TokenizerMetadata.ROLE_ENCODER);
    Map<String, String> decMeta = metadata(arch, desc, id, TokenizerMetadata.ROLE_DECODER);
    Files.createDirectories(dir);
    Path enc = dir.resolve(TokenizerMetadata.ENCODER_FILE);
    Path dec = dir.resolve(TokenizerMetadata.DECODER_FILE);
    write(encoder.model("IBQ tokenizer encoder: images (B,C,H,W) -> token ids (B,H',W')", encMeta), enc);
    write(decoder.model("IBQ tokenizer decoder: token ids (B,H',W') -> images (B,C,H,W)", decMeta), dec);
    return new Exported(enc, dec, id, encMeta);
  }

  /** True for keys of the exported graphs (not discriminator, loss or optimizer state). */
  static boolean exportable(String key) {
    return key.startsWith("encoder.")
        || key.startsWith("decoder.")
        || key.startsWith("quant_conv.")
        || key.startsWith("post_quant_conv.")
        || key.startsWith("quantize.");
  }

  static Map<String, String> metadata(TokenizerArchitecture arch, Description desc, String id, String role) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(TokenizerMetadata.FORMAT, TokenizerMetadata.FORMAT_VERSION);
    m.put(TokenizerMetadata.ROLE, role);
    m.put(TokenizerMetadata.TOKENIZER_ID, id);
    m.put(TokenizerMetadata.TOKENIZER_ID_SCHEME, TokenizerId.SCHEME);
    m.put(TokenizerMetadata.TOKENIZER_NAME, desc.name());
    m.put(TokenizerMetadata.CODEBOOK_SIZE, Integer.toString(arch.codebookSize()));
    m.put(TokenizerMetadata.CODE_DIM, Integer.toString(arch.codeDim()));
    m.put(TokenizerMetadata.GRID_HEIGHT, Integer.toString(arch.gridHeight()));
    m.put(TokenizerMetadata.GRID_WIDTH, Integer.toString(arch.gridWidth()));
    boolean encoder = TokenizerMetadata.ROLE_ENCODER.equals(role);
    m.put(TokenizerMetadata.IMAGE_CHANNELS, Integer.toString(encoder ? arch.inChannels() : arch.outChannels()));
    m.put(TokenizerMetadata.IMAGE_HEIGHT, Integer.toString(arch.resolution()));
    m.put(TokenizerMetadata.IMAGE_WIDTH, Integer.toString(arch.resolution()));
    m.put(TokenizerMetadata.PREPROCESSING, desc.preprocessing());
    m.put(TokenizerMetadata.CONFIG, desc.configJson());
    return m;
  }

  private static void write(ModelProto model, Path target) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      model.writeTo(out);
    }
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
