package dev.ibq.stream.job;

import dev.ibq.schemas.PreprocessingDescriptor;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.model.TokenizerIdentity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Maps an encoded image onto its {@link TokenRecord}. */
public final class TokenRecords {
  private TokenRecords() {}

  /**
   * @param img the prepared image (id, label, attributes, event time)
   * @param tokens its H' * W' tokens in raster order
   * @param tokenizer identity and grid of the model that produced them
   * @param descriptor the preprocessing the model input went through
   * @param processingTimeMillis when the tokens were produced
   * @param encodeLatencyMicros decode + preprocess + inference wall time of the image
   */
  public static TokenRecord of(
      PreparedImage img,
      int[] tokens,
      TokenizerIdentity tokenizer,
      PreprocessingDescriptor descriptor,
      long processingTimeMillis,
      long encodeLatencyMicros) {
    List<Integer> boxed = new ArrayList<>(tokens.length);
    for (int t : tokens) {
      boxed.add(t);
    }
    return TokenRecord.newBuilder()
        .setImageId(img.imageId)
        .setTokens(boxed)
        .setGridHeight(tokenizer.gridHeight())
        .setGridWidth(tokenizer.gridWidth())
        .setCodebookSize(tokenizer.codebookSize())
        .setTokenizerId(tokenizer.tokenizerId())
        .setTokenizerName(tokenizer.name())
        .setPreprocessing(descriptor)
        .setLabel(img.label)
        .setAttributes(img.attributes == null ? Map.of() : img.attributes)
        .setKafkaHeaders(avroHeaders(img.headers))
        .setEventTime(Instant.ofEpochMilli(img.eventTimeMillis))
        .setProcessingTime(Instant.ofEpochMilli(processingTimeMillis))
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

  /** Kafka headers as the Avro {@code kafka_headers} map (empty for none). */
  public static Map<String, java.nio.ByteBuffer> avroHeaders(Map<String, byte[]> headers) {
    Map<String, java.nio.ByteBuffer> m = new java.util.LinkedHashMap<>();
    if (headers != null) {
      headers.forEach((k, v) -> m.put(k, java.nio.ByteBuffer.wrap(v == null ? new byte[0] : v)));
    }
    return m;
  }
}
