package dev.ibq.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@code metadata_props} keys that every exported tokenizer model carries, and their parsing.
 *
 * <p>The exporter (training module) writes these keys into both {@code encoder.onnx} and
 * {@code decoder.onnx}; the runtime ({@code dev.ibq.runtime.OnnxTokenizer}, {@code dev.ibq.runtime.OnnxDecoder}) and the CLIs read the
 * tokenizer's identity, geometry and preprocessing ONLY from here, so nothing is configured twice.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><td>{@value #FORMAT}</td><td>metadata format version, currently {@value #FORMAT_VERSION}</td></tr>
 *   <tr><td>{@value #ROLE}</td><td>{@code encoder} or {@code decoder}</td></tr>
 *   <tr><td>{@value #TOKENIZER_ID}</td><td>hex SHA-256 over the exported weights (same in encoder and decoder)</td></tr>
 *   <tr><td>{@value #TOKENIZER_ID_SCHEME}</td><td>a sentence saying exactly what the id hashes</td></tr>
 *   <tr><td>{@value #TOKENIZER_NAME}</td><td>human-readable name (preset or run name)</td></tr>
 *   <tr><td>{@value #CODEBOOK_SIZE}</td><td>K</td></tr>
 *   <tr><td>{@value #CODE_DIM}</td><td>D</td></tr>
 *   <tr><td>{@value #GRID_HEIGHT}, {@value #GRID_WIDTH}</td><td>token grid H' x W'</td></tr>
 *   <tr><td>{@value #IMAGE_CHANNELS}, {@value #IMAGE_HEIGHT}, {@value #IMAGE_WIDTH}</td><td>model image C x H x W</td></tr>
 *   <tr><td>{@value #PREPROCESSING}</td><td>the canonical PreprocessingSpec string (dev.ibq.image)</td></tr>
 *   <tr><td>{@value #CONFIG}</td><td>the full tokenizer config JSON that built the model</td></tr>
 * </table>
 */
public final class TokenizerMetadata {
  public static final String FORMAT = "ibq.format";
  public static final String FORMAT_VERSION = "1";
  public static final String ROLE = "ibq.role";
  public static final String ROLE_ENCODER = "encoder";
  public static final String ROLE_DECODER = "decoder";
  public static final String TOKENIZER_ID = "ibq.tokenizer_id";
  public static final String TOKENIZER_ID_SCHEME = "ibq.tokenizer_id_scheme";
  public static final String TOKENIZER_NAME = "ibq.tokenizer_name";
  public static final String CODEBOOK_SIZE = "ibq.codebook_size";
  public static final String CODE_DIM = "ibq.code_dim";
  public static final String GRID_HEIGHT = "ibq.grid_height";
  public static final String GRID_WIDTH = "ibq.grid_width";
  public static final String IMAGE_CHANNELS = "ibq.image_channels";
  public static final String IMAGE_HEIGHT = "ibq.image_height";
  public static final String IMAGE_WIDTH = "ibq.image_width";
  public static final String PREPROCESSING = "ibq.preprocessing";
  public static final String CONFIG = "ibq.config";

  /** Graph input/output names shared by the exporter and the runtime. */
  public static final String IMAGES = "images";

  public static final String TOKENS = "tokens";

  /** Keys every model must carry. */
  public static final List<String> REQUIRED =
      List.of(
          FORMAT,
          ROLE,
          TOKENIZER_ID,
          TOKENIZER_NAME,
          CODEBOOK_SIZE,
          CODE_DIM,
          GRID_HEIGHT,
          GRID_WIDTH,
          IMAGE_CHANNELS,
          IMAGE_HEIGHT,
          IMAGE_WIDTH,
          PREPROCESSING,
          CONFIG);

  /** Conventional file names inside an export directory. */
  public static final String ENCODER_FILE = "encoder.onnx";

  public static final String DECODER_FILE = "decoder.onnx";

  private TokenizerMetadata() {}

  /**
   * The model file for {@code role} given an export directory (its {@code encoder.onnx} or
   * {@code decoder.onnx}) or a file path (returned as is).
   */
  public static Path resolve(Path dirOrFile, String role) {
    if (dirOrFile != null && java.nio.file.Files.isDirectory(dirOrFile)) {
      return dirOrFile.resolve(ROLE_ENCODER.equals(role) ? ENCODER_FILE : DECODER_FILE);
    }
    return dirOrFile;
  }

  /**
   * Builds the info of a model from its custom metadata, checking that every key is present and
   * well-formed and that the model plays the expected role.
   */
  public static TokenizerInfo parse(
      Path model, Map<String, String> props, String expectedRole, ExecutionProvider provider) {
    return parse(model.toString(), props, expectedRole, provider);
  }

  /**
   * {@link #parse(Path, Map, String, ExecutionProvider)} for a model named by any location (e.g. a file
   * system URI whose metadata was read without ONNX Runtime).
   */
  public static TokenizerInfo parse(
      String model, Map<String, String> props, String expectedRole, ExecutionProvider provider) {
    List<String> missing = REQUIRED.stream().filter(k -> !props.containsKey(k)).toList();
    if (!missing.isEmpty()) {
      throw new OnnxModelException(
          "The ONNX model "
              + model
              + " is not an exported IBQ tokenizer: its metadata lacks "
              + missing
              + " (found keys "
              + props.keySet()
              + "); export one with './ibq export --checkpoint CKPT --out DIR'.");
    }
    if (!FORMAT_VERSION.equals(props.get(FORMAT))) {
      throw new OnnxModelException(
          "The ONNX model "
              + model
              + " has tokenizer metadata format "
              + props.get(FORMAT)
              + "; this runtime reads format "
              + FORMAT_VERSION
              + ".");
    }
    String role = props.get(ROLE);
    if (!expectedRole.equals(role)) {
      throw new OnnxModelException(
          "The ONNX model "
              + model
              + " is a tokenizer "
              + role
              + ", but a "
              + expectedRole
              + " was expected (use "
              + (ROLE_ENCODER.equals(expectedRole) ? ENCODER_FILE : DECODER_FILE)
              + ").");
    }
    TokenizerInfo info = new TokenizerInfo(
        props.get(TOKENIZER_ID),
        props.get(TOKENIZER_NAME),
        role,
        positiveInt(model, props, CODEBOOK_SIZE),
        positiveInt(model, props, CODE_DIM),
        positiveInt(model, props, GRID_HEIGHT),
        positiveInt(model, props, GRID_WIDTH),
        positiveInt(model, props, IMAGE_CHANNELS),
        positiveInt(model, props, IMAGE_HEIGHT),
        positiveInt(model, props, IMAGE_WIDTH),
        props.get(PREPROCESSING),
        props.get(CONFIG),
        provider);
    checkPreprocessing(model, info);
    return info;
  }

  /** The descriptor must parse, and describe the model's image size and channels. */
  private static void checkPreprocessing(String model, TokenizerInfo info) {
    dev.ibq.image.PreprocessingSpec spec;
    try {
      spec = info.preprocessing();
    } catch (IllegalArgumentException e) {
      throw new OnnxModelException(
          "The ONNX model " + model + " has an unreadable preprocessing descriptor: " + e.getMessage(), e);
    }
    if (spec.channels() != info.imageChannels()
        || spec.height() != info.imageHeight()
        || spec.width() != info.imageWidth()) {
      throw new OnnxModelException(
          "The ONNX model " + model + " takes " + info.imageChannels() + "x" + info.imageHeight() + "x"
              + info.imageWidth() + " images, but its preprocessing spec " + spec + " produces " + spec.channels() + "x"
              + spec.height() + "x" + spec.width() + ".");
    }
  }

  private static int positiveInt(String model, Map<String, String> props, String key) {
    String value = props.get(key);
    try {
      int v = Integer.parseInt(value.trim());
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new OnnxModelException(
        "The ONNX model " + model + " has metadata " + key + "='" + value + "'; a positive integer is expected.");
  }
}
