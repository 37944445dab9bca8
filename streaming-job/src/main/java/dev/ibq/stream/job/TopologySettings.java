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
 */
public record TopologySettings(
    int batchSize,
    long maxWaitMs,
    int parallelism,
    int maxMessageBytes,
    long maxPixels,
    int minSide,
    List<String> formats,
    int metricsWindowTokens)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  public TopologySettings {
    formats = List.copyOf(formats);
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
        c.metricsWindowTokens());
  }

  /** The decoder limits these settings describe. */
  public DecodeLimits decodeLimits() {
    return new DecodeLimits(
        maxMessageBytes,
        maxPixels,
        minSide,
        minSide,
        formats.isEmpty() ? DecodeLimits.ALL_FORMATS : new HashSet<>(formats),
        true);
  }
}
