package dev.ibq.stream.metrics;

/**
 * Names of the job's metrics, registered on Flink's operator metric groups (so any configured reporter,
 * e.g. Prometheus or JMX, shows them under the operator's scope).
 *
 * <p>Decode operator ("decode-preprocess"): {@value #RECORDS_IN}, {@value #IMAGES_VALID},
 * {@value #DEAD_LETTERS} per reason code and {@value #DEAD_LETTERS_TOTAL}. The reason is a key/value metric
 * group ({@link #deadLetters}): one metric with a {@value #CODE} label, so Prometheus shows
 * {@code ..._code_deadLetters{code="CORRUPT_IMAGE",...}} rather than one metric name per code.
 *
 * <p>Batch-encode operator ("batch-encode"): {@value #TOKEN_RECORDS_OUT}, {@value #DEAD_LETTERS} with
 * {@code code="INFERENCE_FAILED"}, {@value #BATCH_SIZE} (histogram of images per batch), {@value #ENCODE_LATENCY}
 * (histogram of batch inference wall time in ms), {@value #IMAGES_PER_SECOND} (meter),
 * {@value #CODEBOOK_UTILIZATION} and {@value #CODEBOOK_PERPLEXITY} (gauges over the last
 * {@code metrics.window-tokens} tokens).
 */
public final class JobMetrics {
  public static final String RECORDS_IN = "recordsIn";
  public static final String IMAGES_VALID = "imagesValid";
  public static final String DEAD_LETTERS = "deadLetters";
  public static final String DEAD_LETTERS_TOTAL = "deadLettersTotal";
  public static final String TOKEN_RECORDS_OUT = "tokenRecordsOut";
  public static final String BATCH_SIZE = "batchSize";
  public static final String ENCODE_LATENCY = "encodeLatencyMs";
  public static final String IMAGES_PER_SECOND = "imagesPerSecond";
  public static final String CODEBOOK_UTILIZATION = "codebookUtilization";
  public static final String CODEBOOK_PERPLEXITY = "codebookPerplexity";
  public static final String CODEBOOK_WINDOW_TOKENS = "codebookWindowTokens";

  /** The key of the dead-letter reason group; its value is the {@code ErrorCode} name. */
  public static final String CODE = "code";

  /** Samples kept by each histogram. */
  public static final int HISTOGRAM_WINDOW = 1024;

  private JobMetrics() {}

  /** The dead-letter counter of one reason code: metric {@value #DEAD_LETTERS} with label {@value #CODE}. */
  public static org.apache.flink.metrics.Counter deadLetters(org.apache.flink.metrics.MetricGroup operator, String code) {
    return operator.addGroup(CODE, code).counter(DEAD_LETTERS);
  }
}
