package dev.ibq.stream.job;

import dev.ibq.image.DecodeLimits;
import dev.ibq.stream.config.JobConfig;
import java.io.Serializable;
import java.util.HashSet;
import java.util.List;

/**
 * The settings the topology itself uses (everything but Kafka and checkpointing).
 *
 * @param batchSize most images per inference batch
 * @param maxWaitMs longest wait of a batch's first image
 * @param parallelism job-level parallelism of every operator; 0 leaves it to Flink (-p, parallelism.default)
 * @param maxMessageBytes larger Kafka values (and encoded images) are dead letters TOO_LARGE
 * @param maxPixels larger images (by their header) are dead letters TOO_LARGE
 * @param minSide images with a shorter side are dead letters TOO_SMALL
 * @param formats accepted image formats; empty means all the decoder supports
 * @param metricsWindowTokens tokens covered by the live codebook gauges
 * @param maxDecodedBytes images needing more decode memory (by their header) are dead letters TOO_LARGE
 * @param decodeTimeoutMs images whose decode takes longer are dead letters DECODE_TIMEOUT
 * @param sinkMaxRequestBytes the sinks' producer {@code max.request.size}: dead letters and token
 *     records are kept below it
 */
public record TopologySettings(
    int batchSize,
    long maxWaitMs,
    int parallelism,
    int maxMessageBytes,
    long maxPixels,
    int minSide,
    List<String> formats,
    int metricsWindowTokens,
    long maxDecodedBytes,
    long decodeTimeoutMs,
    int sinkMaxRequestBytes)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  public TopologySettings {
    formats = List.copyOf(formats);
    DeadLetters.maxPayloadBytes(sinkMaxRequestBytes); // fail on the client when there is no room
  }

  /** Settings with the default decode memory, decode time and sink request size. */
  public TopologySettings(
      int batchSize, long maxWaitMs, int parallelism, int maxMessageBytes, long maxPixels, int minSide,
      List<String> formats, int metricsWindowTokens) {
    this(batchSize, maxWaitMs, parallelism, maxMessageBytes, maxPixels, minSide, formats, metricsWindowTokens,
        DecodeLimits.defaults().maxDecodedBytes(), DecodeLimits.defaults().decodeTimeoutMillis(),
        JobConfig.DEFAULT_MAX_REQUEST_BYTES);
  }

  /** The topology part of a job config. */
  public static TopologySettings of(JobConfig c) {
    return new TopologySettings(
        c.batchSize(),
        c.maxWaitMs(),
        c.parallelism() == null ? 0 : c.parallelism(),
        c.maxMessageBytes(),
        c.maxPixels(),
        c.minSide(),
        c.formats(),
        c.metricsWindowTokens(),
        c.maxDecodedBytes(),
        c.decodeTimeoutMs(),
        c.producerMaxRequestBytes());
  }

  /** The decoder limits these settings describe. */
  public DecodeLimits decodeLimits() {
    return new DecodeLimits(
        maxMessageBytes,
        maxPixels,
        minSide,
        minSide,
        formats.isEmpty() ? DecodeLimits.ALL_FORMATS : new HashSet<>(formats),
        true,
        maxDecodedBytes,
        decodeTimeoutMs);
  }

  /** The largest payload a dead letter carries whole (see {@link DeadLetters#maxPayloadBytes}). */
  public int deadLetterMaxPayloadBytes() {
    return DeadLetters.maxPayloadBytes(sinkMaxRequestBytes);
  }

  /**
   * The most bytes an input record may spend on everything but its image (id, attributes, source uri):
   * they are copied into its token record, which must fit the sink. A quarter of the request size, at
   * most 1 MiB.
   */
  public int maxMetadataBytes() {
    return Math.min(1 << 20, sinkMaxRequestBytes / 4);
  }
}
