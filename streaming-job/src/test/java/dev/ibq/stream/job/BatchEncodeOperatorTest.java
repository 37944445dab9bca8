package dev.ibq.stream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.TokenRecords;
import dev.ibq.stream.testing.ThresholdTokenizer;
import dev.ibq.stream.tokenize.BatchTokenizerFactory;
import dev.ibq.model.TokenizerIdentity;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import dev.ibq.stream.metrics.JobMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The micro-batching operator under Flink's test harness, with harness-controlled processing time. */
@SuppressWarnings("try") // the harness close() declares InterruptedException
class BatchEncodeOperatorTest {
  private static final long MAX_WAIT = 50;

  private static OneInputStreamOperatorTestHarness<PreparedImage, TokenRecord> harness(
      int batchSize, BatchTokenizerFactory factory, TokenizerIdentity expected) throws Exception {
    BatchEncodeOperator op =
        new BatchEncodeOperator(
            factory, expected, PreprocessingSpec.fashionMnist32().toDescriptor(), batchSize, MAX_WAIT, 1000, 1 << 20);
    return new OneInputStreamOperatorTestHarness<>(op);
  }

  private static OneInputStreamOperatorTestHarness<PreparedImage, TokenRecord> harness(int batchSize) throws Exception {
    return harness(batchSize, ThresholdTokenizer.factory(), ThresholdTokenizer.IDENTITY);
  }

  private static PreparedImage image(int i) {
    float v = (i % 16) / 8f - 1f + 0.01f; // token i % 16 for the first value
    return new PreparedImage(
        "img-" + i, new float[] {v, 0f, -1f, 0f}, i % 10, Map.of("n", String.valueOf(i)), 1000L + i, 2_000L,
        new byte[] {(byte) i}, "in", 0, i);
  }

  private static void send(OneInputStreamOperatorTestHarness<PreparedImage, TokenRecord> h, int from, int to)
      throws Exception {
    for (int i = from; i < to; i++) {
      h.processElement(new StreamRecord<>(image(i)));
    }
  }

  private static List<String> ids(OneInputStreamOperatorTestHarness<PreparedImage, TokenRecord> h) {
    return h.extractOutputValues().stream().map(TokenRecord::getImageId).collect(Collectors.toList());
  }

  @Test
  void aFullBatchLeavesAtOnceWithoutWaiting() throws Exception {
    try (var h = harness(4)) {
      h.open();
      h.setProcessingTime(0);
      send(h, 0, 3);
      assertThat(h.extractOutputValues()).isEmpty();
      send(h, 3, 4);
      assertThat(ids(h)).containsExactly("img-0", "img-1", "img-2", "img-3");
      assertThat(((BatchEncodeOperator) h.getOperator()).pending()).isZero();
    }
  }

  @Test
  void aPartialBatchLeavesExactlyWhenTheMaxWaitHasPassed() throws Exception {
    try (var h = harness(8)) {
      h.open();
      h.setProcessingTime(100);
      send(h, 0, 3);
      h.setProcessingTime(100 + MAX_WAIT - 1);
      assertThat(h.extractOutputValues()).isEmpty();
      h.setProcessingTime(100 + MAX_WAIT);
      assertThat(ids(h)).containsExactly("img-0", "img-1", "img-2");
    }
  }

  @Test
  void theWaitCountsFromTheFirstImageOfEachBatchAndStaleTimersAreIgnored() throws Exception {
    try (var h = harness(4)) {
      h.open();
      h.setProcessingTime(0);
      send(h, 0, 4); // full: leaves at t=0, its timer (t=50) becomes stale
      h.setProcessingTime(30);
      send(h, 4, 5); // new batch, deadline 80
      h.setProcessingTime(50);
      assertThat(h.extractOutputValues()).hasSize(4);
      h.setProcessingTime(79);
      assertThat(h.extractOutputValues()).hasSize(4);
      h.setProcessingTime(80);
      assertThat(ids(h)).endsWith("img-4").hasSize(5);
    }
  }

  @Test
  void tokenRecordsCarryTokensIdentityAndInputMetadata() throws Exception {
    try (var h = harness(2)) {
      h.open();
      h.setProcessingTime(5000);
      send(h, 5, 7);
      TokenRecord r = h.extractOutputValues().get(0);
      assertThat(r.getImageId()).isEqualTo("img-5");
      assertThat(TokenRecords.tokens(r)).containsExactly(ThresholdTokenizer.expected(image(5).pixels)).containsExactly(5, 0);
      assertThat(r.getTokenizerId()).isEqualTo("threshold-test");
      assertThat(r.getGridHeight()).isEqualTo(1);
      assertThat(r.getGridWidth()).isEqualTo(2);
      assertThat(r.getCodebookSize()).isEqualTo(16);
      assertThat(r.getLabel()).isEqualTo(5);
      assertThat(r.getAttributes()).containsEntry("n", "5");
      assertThat(r.getEventTime().toEpochMilli()).isEqualTo(1005L);
      assertThat(r.getProcessingTime().toEpochMilli()).isEqualTo(5000L);
      assertThat(r.getEncodeLatencyMicros()).isGreaterThanOrEqualTo(2L); // 2000 ns of preparation + inference
      assertThat(r.getPreprocessing().getCanonical()).isEqualTo(PreprocessingSpec.fashionMnist32().toCanonicalString());
    }
  }

  @Test
  void aBatchThatFailsOnceIsRetriedAndEncoded() throws Exception {
    try (var h = harness(2, ThresholdTokenizer.factory(0), ThresholdTokenizer.IDENTITY)) {
      h.open();
      send(h, 0, 2); // the first attempt of batch 0 fails, its retry succeeds
      send(h, 2, 4);
      assertThat(h.getSideOutput(DeadLetters.TAG)).isNullOrEmpty();
      assertThat(ids(h)).containsExactly("img-0", "img-1", "img-2", "img-3");
    }
  }

  @Test
  void aBatchThatKeepsFailingIsSplitSoOnlyThePoisonImagesAreDeadLetters() throws Exception {
    ThresholdTokenizer.CALLS.set(0);
    try (var h = harness(8, ThresholdTokenizer.poisoning(), ThresholdTokenizer.IDENTITY)) {
      h.open();
      for (int i = 0; i < 8; i++) {
        PreparedImage img = image(i);
        if (i == 2 || i == 5) {
          img.pixels[1] = ThresholdTokenizer.POISON;
        }
        h.processElement(new StreamRecord<>(img));
      }
      List<DeadLetterRecord> dead =
          h.getSideOutput(DeadLetters.TAG).stream().map(StreamRecord::getValue).collect(Collectors.toList());
      assertThat(dead).extracting(DeadLetterRecord::getImageId).containsExactly("img-2", "img-5");
      assertThat(dead).allSatisfy(d -> {
        assertThat(d.getErrorCode()).isEqualTo(ErrorCode.INFERENCE_FAILED);
        assertThat(d.getStage()).isEqualTo(DeadLetters.STAGE_ENCODE);
        assertThat(d.getMessage()).contains("on its own").contains("poison image");
        assertThat(d.getSourceTopic()).isEqualTo("in");
      });
      assertThat(dead.get(1).getPayload().get(0)).isEqualTo((byte) 5);
      assertThat(dead.get(1).getSourceOffset()).isEqualTo(5L);
      assertThat(ids(h)).containsExactlyInAnyOrder("img-0", "img-1", "img-3", "img-4", "img-6", "img-7");
      // whole batch twice, then halves, quarters and singles only where a poison image is
      assertThat(ThresholdTokenizer.CALLS.get()).isLessThanOrEqualTo(2 + 2 * 2 * 3);
    }
  }

  @Test
  void theOpenBatchIsEmittedBeforeTheCheckpointBarrier() throws Exception {
    OperatorSubtaskState state;
    try (var h = harness(8)) {
      h.open();
      h.setProcessingTime(0);
      send(h, 0, 3);
      h.prepareSnapshotPreBarrier(1L);
      assertThat(ids(h)).containsExactly("img-0", "img-1", "img-2");
      state = h.snapshot(1L, 1L);
    }
    // Restoring that checkpoint must not emit anything again: the batch is in the checkpoint's output.
    try (var h = harness(8)) {
      h.initializeState(state);
      h.open();
      h.setProcessingTime(10 * MAX_WAIT);
      assertThat(h.extractOutputValues()).isEmpty();
      send(h, 3, 4);
      h.setProcessingTime(20 * MAX_WAIT);
      assertThat(ids(h)).containsExactly("img-3");
    }
  }

  @Test
  void aPartialBatchInASnapshotIsRestoredAndEmittedOnce() throws Exception {
    OperatorSubtaskState state;
    try (var h = harness(8)) {
      h.open();
      h.setProcessingTime(0);
      send(h, 0, 3);
      state = h.snapshot(1L, 1L); // without the pre-barrier flush: the batch goes into operator state
    }
    try (var h = harness(8)) {
      h.initializeState(state);
      h.open();
      h.setProcessingTime(MAX_WAIT - 1);
      assertThat(h.extractOutputValues()).isEmpty();
      h.setProcessingTime(2 * MAX_WAIT);
      assertThat(ids(h)).containsExactly("img-0", "img-1", "img-2");
    }
  }

  @Test
  void endOfInputFlushesThePartialBatch() throws Exception {
    try (var h = harness(8)) {
      h.open();
      send(h, 0, 2);
      h.endInput();
      assertThat(ids(h)).containsExactly("img-0", "img-1");
    }
  }

  @Test
  void codebookGaugesFollowTheTokensEmitted() throws Exception {
    try (var h = harness(4)) {
      h.open();
      send(h, 0, 4); // tokens {0,0},{1,0},{2,0},{3,0}: 4 distinct codes of 16; counts 0:5, 1:1, 2:1, 3:1
      double[] g = ((BatchEncodeOperator) h.getOperator()).codebookGauges();
      assertThat(g[0]).isEqualTo(4 / 16.0);
      double entropy = -(5 / 8.0) * Math.log(5 / 8.0) - 3 * (1 / 8.0) * Math.log(1 / 8.0);
      assertThat(g[1]).isCloseTo(Math.exp(entropy), org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  @Test
  void metricsAreRegisteredOnTheOperatorGroupAndFollowTheBatches() throws Exception {
    InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
    TaskMetricGroup task =
        new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
          @Override
          public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name, Map<String, String> info) {
            return metrics;
          }
        };
    BatchEncodeOperator op =
        new BatchEncodeOperator(
            ThresholdTokenizer.factory(), ThresholdTokenizer.IDENTITY, PreprocessingSpec.fashionMnist32().toDescriptor(), 4, MAX_WAIT, 1000, 1 << 20);
    try (MockEnvironment env = new MockEnvironmentBuilder().setMetricGroup(task).build();
        var h = new OneInputStreamOperatorTestHarness<>(op, env)) {
      h.open();
      h.setProcessingTime(0);
      send(h, 0, 6); // one full batch of 4, then 2 waiting
      h.setProcessingTime(MAX_WAIT);
      assertThat(((Counter) metrics.get(JobMetrics.TOKEN_RECORDS_OUT)).getCount()).isEqualTo(6);
      Histogram sizes = (Histogram) metrics.get(JobMetrics.BATCH_SIZE);
      assertThat(sizes.getCount()).isEqualTo(2);
      assertThat(sizes.getStatistics().getMax()).isEqualTo(4);
      assertThat(sizes.getStatistics().getMin()).isEqualTo(2);
      assertThat(((Histogram) metrics.get(JobMetrics.ENCODE_LATENCY)).getCount()).isEqualTo(2);
      assertThat(((Meter) metrics.get(JobMetrics.IMAGES_PER_SECOND)).getCount()).isEqualTo(6);
      // tokens {0,0},{1,0},...,{5,0}: 6 distinct codes of 16
      assertThat(((Gauge<?>) metrics.get(JobMetrics.CODEBOOK_UTILIZATION)).getValue()).isEqualTo(6 / 16.0);
      assertThat(((Gauge<?>) metrics.get(JobMetrics.CODEBOOK_WINDOW_TOKENS)).getValue()).isEqualTo(12L);
      assertThat((Double) ((Gauge<?>) metrics.get(JobMetrics.CODEBOOK_PERPLEXITY)).getValue()).isGreaterThan(1.0);
    }
  }

  @Test
  void aModelThatChangedSinceTheJobWasBuiltIsRefusedAtOpen() throws Exception {
    TokenizerIdentity other =
        new TokenizerIdentity("another-id", "threshold", 16, 1, 2, 1, 2, 2, ThresholdTokenizer.IDENTITY.preprocessing(), "CPU");
    try (var h = harness(4, ThresholdTokenizer.factory(), other)) {
      assertThatThrownBy(h::open).hasMessageContaining("another-id").hasMessageContaining("model file changed");
    }
  }
}
