package dev.ibq.stream.job;

import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.PreprocessingDescriptor;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.stream.metrics.CodebookUsage;
import dev.ibq.stream.metrics.JobMetrics;
import dev.ibq.stream.tokenize.BatchTokenizer;
import dev.ibq.stream.tokenize.BatchTokenizerFactory;
import dev.ibq.stream.tokenize.TokenizerIdentity;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups prepared images into micro-batches and encodes each batch with the tokenizer.
 *
 * <p>A batch leaves when it holds {@code batchSize} images, or when its first image has waited
 * {@code maxWaitMs} (a processing-time timer), so a trickle of images still leaves within the latency
 * bound. Shapes: the batch input is {@code (B, C, H, W)} flattened into one reused float array; the
 * tokenizer returns {@code (B, H' * W')} tokens.
 *
 * <p>Exactly-once: the open batch is encoded and emitted in {@link #prepareSnapshotPreBarrier}, i.e.
 * before the checkpoint barrier goes downstream, so every image whose offset a checkpoint covers has its
 * token record inside that checkpoint's Kafka transaction. Images buffered after the last checkpoint are
 * lost on a failure only together with their source offsets, and are read again after the restore. As a
 * second line of defence, whatever is still buffered when the state is snapshotted is stored in operator
 * state and restored (never more than a partial batch).
 *
 * <p>A batch whose inference fails (an exception from the tokenizer, or output of the wrong shape or
 * range) sends each of its images to the dead-letter side output as {@code INFERENCE_FAILED}; it is not
 * retried, so a poison batch cannot stall the job. An {@link Error} is not caught: it fails the task and
 * the job restarts from its last checkpoint.
 */
public final class BatchEncodeOperator extends AbstractStreamOperator<TokenRecord>
    implements OneInputStreamOperator<PreparedImage, TokenRecord>, BoundedOneInput, ProcessingTimeCallback {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(BatchEncodeOperator.class);

  private final BatchTokenizerFactory tokenizerFactory;
  private final TokenizerIdentity expected;
  private final PreprocessingDescriptor descriptor;
  private final int batchSize;
  private final long maxWaitMs;
  private final int metricsWindowTokens;

  private transient BatchTokenizer tokenizer;
  private transient List<PreparedImage> buffer;
  private transient float[] input; // (batchSize, C, H, W)
  private transient long deadline;
  private transient ListState<PreparedImage> bufferState;

  private transient Counter tokenRecordsOut;
  private transient Counter inferenceFailed;
  private transient Histogram batchSizes;
  private transient Histogram encodeLatencyMs;
  private transient Meter imagesPerSecond;
  private transient CodebookUsage usage;
  private transient volatile double utilization;
  private transient volatile double perplexity;
  private transient volatile long windowTokens;

  /**
   * @param tokenizerFactory opens the tokenizer once per task, in {@link #open()}
   * @param expected the identity the job was built for; the opened model must match it
   * @param descriptor the preprocessing descriptor written into every token record
   * @param batchSize most images per batch
   * @param maxWaitMs longest wait of the first image of a batch
   * @param metricsWindowTokens tokens covered by the utilization and perplexity gauges
   */
  public BatchEncodeOperator(
      BatchTokenizerFactory tokenizerFactory,
      TokenizerIdentity expected,
      PreprocessingDescriptor descriptor,
      int batchSize,
      long maxWaitMs,
      int metricsWindowTokens) {
    if (batchSize <= 0 || maxWaitMs <= 0) {
      throw new IllegalArgumentException(
          "Batch size is " + batchSize + " and max wait " + maxWaitMs + " ms; both must be positive.");
    }
    this.tokenizerFactory = tokenizerFactory;
    this.expected = expected;
    this.descriptor = descriptor;
    this.batchSize = batchSize;
    this.maxWaitMs = maxWaitMs;
    this.metricsWindowTokens = metricsWindowTokens;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    bufferState =
        context
            .getOperatorStateStore()
            .getListState(new ListStateDescriptor<>("pending-batch", PreparedImages.TYPE));
    buffer = new ArrayList<>(batchSize);
    if (context.isRestored()) {
      for (PreparedImage img : bufferState.get()) {
        buffer.add(img);
      }
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    tokenizer = tokenizerFactory.open(getRuntimeContext());
    TokenizerIdentity actual = tokenizer.identity();
    if (!actual.sameModel(expected)) {
      tokenizer.close();
      throw new IllegalStateException(
          "The tokenizer opened by this task is "
              + actual
              + ", but the job was built for "
              + expected
              + "; the model file changed after the job was submitted. Restart the job so that it reads"
              + " the new model's preprocessing settings.");
    }
    LOG.info(
        "Task {} encodes with tokenizer {} ({}, K={}, grid {}x{}) on {}; batches of up to {} images, max wait {} ms",
        getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks(),
        actual.tokenizerId(),
        actual.name(),
        actual.codebookSize(),
        actual.gridHeight(),
        actual.gridWidth(),
        actual.provider(),
        batchSize,
        maxWaitMs);
    input = new float[batchSize * expected.valuesPerImage()];
    usage = new CodebookUsage(expected.codebookSize(), metricsWindowTokens);
    registerMetrics(getMetricGroup());
    deadline = Long.MAX_VALUE;
    if (!buffer.isEmpty()) {
      scheduleDeadline();
    }
  }

  private void registerMetrics(MetricGroup g) {
    tokenRecordsOut = g.counter(JobMetrics.TOKEN_RECORDS_OUT);
    inferenceFailed = JobMetrics.deadLetters(g, ErrorCode.INFERENCE_FAILED.name());
    batchSizes = g.histogram(JobMetrics.BATCH_SIZE, new DescriptiveStatisticsHistogram(JobMetrics.HISTOGRAM_WINDOW));
    encodeLatencyMs =
        g.histogram(JobMetrics.ENCODE_LATENCY, new DescriptiveStatisticsHistogram(JobMetrics.HISTOGRAM_WINDOW));
    imagesPerSecond = g.meter(JobMetrics.IMAGES_PER_SECOND, new MeterView(10));
    g.gauge(JobMetrics.CODEBOOK_UTILIZATION, (Gauge<Double>) () -> utilization);
    g.gauge(JobMetrics.CODEBOOK_PERPLEXITY, (Gauge<Double>) () -> perplexity);
    g.gauge(JobMetrics.CODEBOOK_WINDOW_TOKENS, (Gauge<Long>) () -> windowTokens);
  }

  @Override
  public void processElement(StreamRecord<PreparedImage> element) throws Exception {
    PreparedImage img = element.getValue();
    if (img.pixels.length != expected.valuesPerImage()) {
      // The decode operator prepares images with the model's own spec, so this is a programming error.
      throw new IllegalStateException(
          "Image " + img.imageId + " has " + img.pixels.length + " values; the model expects "
              + expected.valuesPerImage() + ".");
    }
    buffer.add(img);
    if (buffer.size() >= batchSize) {
      flush();
    } else if (buffer.size() == 1) {
      scheduleDeadline();
    }
  }

  private void scheduleDeadline() {
    deadline = getProcessingTimeService().getCurrentProcessingTime() + maxWaitMs;
    getProcessingTimeService().registerTimer(deadline, this);
  }

  /** A batch's wait timer fired; stale timers of batches that already left by size are ignored. */
  @Override
  public void onProcessingTime(long time) throws Exception {
    if (!buffer.isEmpty() && time >= deadline) {
      flush();
    }
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    flush();
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    bufferState.update(buffer);
  }

  @Override
  public void endInput() throws Exception {
    flush();
  }

  @Override
  public void finish() throws Exception {
    flush();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    try {
      if (tokenizer != null) {
        tokenizer.close();
      }
    } finally {
      super.close();
    }
  }

  /** Encodes and emits the open batch, if any. */
  private void flush() {
    int b = buffer.size();
    if (b == 0) {
      return;
    }
    deadline = Long.MAX_VALUE;
    int per = expected.valuesPerImage();
    for (int i = 0; i < b; i++) {
      System.arraycopy(buffer.get(i).pixels, 0, input, i * per, per); // (B, C, H, W)
    }
    long t0 = System.nanoTime();
    int[][] tokens;
    String failure;
    try {
      tokens = tokenizer.encode(input, b); // (B, H'*W')
      failure = checkOutput(tokens, b);
    } catch (Exception e) {
      tokens = null;
      failure =
          "Inference failed for a batch of " + b + " images (" + e.getClass().getSimpleName() + ": "
              + e.getMessage() + "); the batch was not retried.";
      LOG.warn("{}", failure, e);
    }
    long inferenceNanos = System.nanoTime() - t0;
    long now = getProcessingTimeService().getCurrentProcessingTime();
    if (failure != null) {
      for (PreparedImage img : buffer) {
        output.collect(
            DeadLetters.TAG,
            new StreamRecord<>(DeadLetters.of(img, ErrorCode.INFERENCE_FAILED, DeadLetters.STAGE_ENCODE, failure, now)));
        inferenceFailed.inc();
      }
    } else {
      for (int i = 0; i < b; i++) {
        PreparedImage img = buffer.get(i);
        long latencyMicros = (img.prepareNanos + inferenceNanos) / 1000;
        output.collect(new StreamRecord<>(TokenRecords.of(img, tokens[i], expected, descriptor, now, latencyMicros)));
        usage.add(tokens[i]);
      }
      tokenRecordsOut.inc(b);
      imagesPerSecond.markEvent(b);
      batchSizes.update(b);
      encodeLatencyMs.update(inferenceNanos / 1_000_000);
      utilization = usage.utilization();
      perplexity = usage.perplexity();
      windowTokens = usage.tokens();
    }
    buffer.clear();
  }

  /** Null when the output has the expected shape and range; otherwise what is wrong. */
  private String checkOutput(int[][] tokens, int b) {
    if (tokens == null || tokens.length != b) {
      return "The tokenizer returned " + (tokens == null ? "nothing" : tokens.length + " rows")
          + " for a batch of " + b + " images.";
    }
    int n = expected.tokensPerImage();
    int k = expected.codebookSize();
    for (int[] row : tokens) {
      if (row == null || row.length != n) {
        return "The tokenizer returned a row of " + (row == null ? 0 : row.length) + " tokens; expected " + n + ".";
      }
      for (int t : row) {
        if (t < 0 || t >= k) {
          return "The tokenizer returned token " + t + ", outside the codebook [0, " + k + ").";
        }
      }
    }
    return null;
  }

  /** Images waiting in the open batch (for tests). */
  int pending() {
    return buffer.size();
  }

  /** Current gauge values (for tests): utilization, perplexity. */
  double[] codebookGauges() {
    return new double[] {utilization, perplexity};
  }
}
