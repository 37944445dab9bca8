package dev.ibq.stream.job;

import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.PreprocessingDescriptor;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.TokenRecords;
import dev.ibq.model.CodeUsage;
import dev.ibq.stream.metrics.JobMetrics;
import dev.ibq.stream.tokenize.BatchTokenizer;
import dev.ibq.stream.tokenize.BatchTokenizerFactory;
import dev.ibq.model.TokenizerIdentity;
import java.time.Instant;
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
 * range) is retried once, then split in halves recursively, so that only the images that fail on their
 * own go to the dead-letter side output as {@code INFERENCE_FAILED}; the number of calls is bounded, so a
 * poison image cannot stall the job. An {@link Error} is not caught: it fails the task and the job
 * restarts from its last checkpoint.
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
  private final int deadLetterMaxPayloadBytes;

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
  private transient CodeUsage usage;
  private transient TokenRecords.Model model;
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
   * @param deadLetterMaxPayloadBytes dead letters carry at most this much of the original value
   */
  public BatchEncodeOperator(
      BatchTokenizerFactory tokenizerFactory,
      TokenizerIdentity expected,
      PreprocessingDescriptor descriptor,
      int batchSize,
      long maxWaitMs,
      int metricsWindowTokens,
      int deadLetterMaxPayloadBytes) {
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
    this.deadLetterMaxPayloadBytes = deadLetterMaxPayloadBytes;
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
    usage = CodeUsage.lastTokens(expected.codebookSize(), metricsWindowTokens);
    model = TokenRecords.Model.of(expected, descriptor);
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
    encodeRange(0, b, false);
    buffer.clear();
  }

  /**
   * Encodes images {@code [from, to)} of the open batch and emits their token records. A failed attempt
   * of the whole batch is retried once (a transient runtime error); a sub-batch that still fails is
   * split in halves, each encoded on its own, down to single images, so only the images whose inference
   * fails are dead-lettered ({@code INFERENCE_FAILED}). With k failing images in a batch of B this costs
   * at most about {@code 2 + 2 k log2 B} inference calls.
   */
  private void encodeRange(int from, int to, boolean split) {
    int n = to - from;
    String failure = attempt(from, to);
    if (failure == null) {
      return;
    }
    if (!split) {
      LOG.warn("{} Retrying the batch once.", failure);
      failure = attempt(from, to);
      if (failure == null) {
        return;
      }
    }
    if (n > 1) {
      LOG.warn("{} Splitting it to find the failing images.", failure);
      int mid = from + n / 2;
      encodeRange(from, mid, true);
      encodeRange(mid, to, true);
      return;
    }
    long now = getProcessingTimeService().getCurrentProcessingTime();
    PreparedImage img = buffer.get(from);
    String message = "Inference failed for image " + img.imageId + " on its own, after its batch failed twice (" + failure
        + ").";
    output.collect(
        DeadLetters.TAG,
        new StreamRecord<>(DeadLetters.of(
            img, ErrorCode.INFERENCE_FAILED, DeadLetters.STAGE_ENCODE, message, now, deadLetterMaxPayloadBytes)));
    inferenceFailed.inc();
  }

  /** One inference call on images {@code [from, to)}; emits their tokens and returns null, or returns what failed. */
  private String attempt(int from, int to) {
    int b = to - from;
    int per = expected.valuesPerImage();
    for (int i = 0; i < b; i++) {
      System.arraycopy(buffer.get(from + i).pixels, 0, input, i * per, per); // (B, C, H, W)
    }
    long t0 = System.nanoTime();
    int[][] tokens;
    String failure;
    try {
      tokens = tokenizer.encode(input, b); // (B, H'*W')
      failure = checkOutput(tokens, b);
    } catch (Exception e) {
      tokens = null;
      failure = "Inference failed for a batch of " + b + " images (" + e.getClass().getSimpleName() + ": "
          + e.getMessage() + ").";
    }
    if (failure != null) {
      return failure;
    }
    long inferenceNanos = System.nanoTime() - t0;
    long now = getProcessingTimeService().getCurrentProcessingTime();
    for (int i = 0; i < b; i++) {
      PreparedImage img = buffer.get(from + i);
      long latencyMicros = (img.prepareNanos + inferenceNanos) / 1000;
      TokenRecords.Image image =
          new TokenRecords.Image(img.imageId, img.label, img.attributes, img.headers, Instant.ofEpochMilli(img.eventTimeMillis));
      output.collect(new StreamRecord<>(TokenRecords.of(model, image, tokens[i], Instant.ofEpochMilli(now), latencyMicros)));
      usage.add(tokens[i]);
    }
    tokenRecordsOut.inc(b);
    imagesPerSecond.markEvent(b);
    batchSizes.update(b);
    encodeLatencyMs.update(inferenceNanos / 1_000_000);
    utilization = usage.utilization();
    perplexity = usage.perplexity();
    windowTokens = usage.total();
    return null;
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
