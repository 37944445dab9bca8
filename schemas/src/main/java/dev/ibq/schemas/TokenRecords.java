package dev.ibq.schemas;

import dev.ibq.model.TokenizerIdentity;
import dev.ibq.model.TokenizerInfo;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one way to make a {@link TokenRecord}: the stream job, {@code ./ibq encode}, the AR data path and
 * {@code ./ibq generate} all call {@link #of}. A record is three things: the {@link Model} that produced the
 * tokens (identity, grid, K, preprocessing), the {@link Image} they describe (id, label, attributes, Kafka
 * headers, event time) and the encoding itself (tokens, when, how long it took).
 *
 * <p>Adding a field to {@code TokenRecord} touches {@code TokenRecord.avsc} plus its copy under
 * {@code schema-history}, this factory (and {@link Model} or {@link Image} when the value comes from there) and
 * {@code TokenRecordsTest}; callers change only when they must supply a new per-image value.
 *
 * <p>Image ids: Fashion-MNIST images are {@code fmnist-<split>-<index, 5 digits>} ({@code fmnist-test-00042},
 * {@link dev.ibq.image.source.FashionMnist#imageId}); images from files are their path relative to the folder
 * (or as given); sampled images from {@code generate} are {@code ar-sample-<label>-<index>}.
 */
public final class TokenRecords {

  private TokenRecords() {}

  /**
   * The tokenizer a record's tokens come from.
   *
   * @param tokenizerId hex SHA-256 over the exported weights
   * @param tokenizerName human-readable name
   * @param codebookSize K: every token is in [0, K)
   * @param gridHeight token rows H'
   * @param gridWidth token columns W'
   * @param preprocessing how an image became the model input
   */
  public record Model(
      String tokenizerId,
      String tokenizerName,
      int codebookSize,
      int gridHeight,
      int gridWidth,
      PreprocessingDescriptor preprocessing) {

    public Model {
      if (tokenizerId == null || tokenizerName == null || preprocessing == null) {
        throw new IllegalArgumentException(
            "A token record's model needs a tokenizer id, a name and a preprocessing descriptor; got id " + tokenizerId
                + ", name " + tokenizerName + ", preprocessing " + preprocessing + ".");
      }
      if (codebookSize <= 0 || gridHeight <= 0 || gridWidth <= 0) {
        throw new IllegalArgumentException(
            "A token record's model has K " + codebookSize + " and a " + gridHeight + "x" + gridWidth
                + " grid; expected a positive K and grid.");
      }
    }

    /** The model the stream job read from the encoder's metadata, with the descriptor it preprocesses by. */
    public static Model of(TokenizerIdentity identity, PreprocessingDescriptor preprocessing) {
      return new Model(
          identity.tokenizerId(), identity.name(), identity.codebookSize(), identity.gridHeight(), identity.gridWidth(),
          preprocessing);
    }

    /** The model described by an exported encoder's metadata. */
    public static Model of(TokenizerInfo info) {
      return new Model(
          info.tokenizerId(), info.name(), info.codebookSize(), info.gridHeight(), info.gridWidth(),
          info.preprocessing().toDescriptor());
    }

    /** H' * W'. */
    public int tokensPerImage() {
      return gridHeight * gridWidth;
    }
  }

  /**
   * The image a record's tokens describe.
   *
   * @param imageId the input's id (see the class comment for the spellings)
   * @param label class label, or null
   * @param attributes free-form string attributes carried through (null = none)
   * @param kafkaHeaders headers of the input Kafka record (null = none)
   * @param eventTime event time of the input image
   */
  public record Image(
      String imageId, Integer label, Map<String, String> attributes, Map<String, byte[]> kafkaHeaders, Instant eventTime) {

    public Image {
      if (imageId == null || eventTime == null) {
        throw new IllegalArgumentException(
            "A token record's image needs an id and an event time; got id " + imageId + ", event time " + eventTime + ".");
      }
    }

    /** An image that did not come from Kafka (no headers). */
    public static Image of(String imageId, Integer label, Map<String, String> attributes, Instant eventTime) {
      return new Image(imageId, label, attributes, null, eventTime);
    }
  }

  /**
   * The record of one encoded image.
   *
   * @param model the tokenizer that produced the tokens
   * @param image the image they describe
   * @param tokens H' * W' tokens in raster order, each in [0, K)
   * @param processingTime when the tokens were produced
   * @param encodeLatencyMicros decode + preprocess + inference wall time of the image (0 for sampled tokens)
   * @throws IllegalArgumentException when the token count does not match the grid or a token is outside [0, K)
   */
  public static TokenRecord of(Model model, Image image, int[] tokens, Instant processingTime, long encodeLatencyMicros) {
    if (tokens.length != model.tokensPerImage()) {
      throw new IllegalArgumentException(
          "Image " + image.imageId() + " has " + tokens.length + " tokens; the " + model.gridHeight() + "x"
              + model.gridWidth() + " grid of tokenizer " + model.tokenizerName() + " needs " + model.tokensPerImage() + ".");
    }
    List<Integer> boxed = new ArrayList<>(tokens.length);
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i] < 0 || tokens[i] >= model.codebookSize()) {
        throw new IllegalArgumentException(
            "Token " + i + " of image " + image.imageId() + " is " + tokens[i] + "; expected a code in [0, "
                + model.codebookSize() + ").");
      }
      boxed.add(tokens[i]);
    }
    return TokenRecord.newBuilder()
        .setImageId(image.imageId())
        .setTokens(boxed)
        .setGridHeight(model.gridHeight())
        .setGridWidth(model.gridWidth())
        .setCodebookSize(model.codebookSize())
        .setTokenizerId(model.tokenizerId())
        .setTokenizerName(model.tokenizerName())
        .setPreprocessing(model.preprocessing())
        .setLabel(image.label())
        .setAttributes(image.attributes() == null ? Map.of() : image.attributes())
        .setKafkaHeaders(avroHeaders(image.kafkaHeaders()))
        .setEventTime(image.eventTime())
        .setProcessingTime(processingTime)
        .setEncodeLatencyMicros(encodeLatencyMicros)
        .build();
  }

  /** The tokens of a record as an int array. */
  public static int[] tokens(TokenRecord r) {
    int[] out = new int[r.getTokens().size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = r.getTokens().get(i);
    }
    return out;
  }

  /** Kafka headers as the Avro {@code kafka_headers} map (empty for none; a null value becomes empty bytes). */
  public static Map<String, ByteBuffer> avroHeaders(Map<String, byte[]> headers) {
    Map<String, ByteBuffer> m = new LinkedHashMap<>();
    if (headers != null) {
      headers.forEach((k, v) -> m.put(k, ByteBuffer.wrap(v == null ? new byte[0] : v)));
    }
    return m;
  }
}
