package dev.ibq.stream.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.image.source.ImageRecords;
import dev.ibq.stream.kafka.KafkaInput;
import dev.ibq.stream.metrics.JobMetrics;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The decode operator as Flink runs it: valid images downstream, refusals on the side output, counted. */
@SuppressWarnings("try") // the harness close() declares InterruptedException
class DecodeOperatorTest {

  @Test
  void goodImagesGoDownstreamAndBadOnesToTheSideOutputWithMetrics() throws Exception {
    InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
    TaskMetricGroup task =
        new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
          @Override
          public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name, Map<String, String> info) {
            return metrics;
          }
        };
    TopologySettings settings = new TopologySettings(8, 50, 1, 1 << 20, 1_000_000, 8, List.of(), 1000);
    DecodeFunction fn = new DecodeFunction(PreprocessingSpec.fashionMnist32().toCanonicalString(), settings);
    AvroCodec<ImageRecord> codec = AvroCodec.forClass(ImageRecord.class);
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    byte[] good = codec.encode(record("good", ImageRecords.png(img)));
    byte[] text = codec.encode(record("text", "no pixels here".getBytes(StandardCharsets.UTF_8)));
    byte[] junk = "junk".getBytes(StandardCharsets.UTF_8);

    try (MockEnvironment env = new MockEnvironmentBuilder().setMetricGroup(task).build();
        var h = new OneInputStreamOperatorTestHarness<KafkaInput, PreparedImage>(new ProcessOperator<>(fn), env)) {
      h.open();
      h.setProcessingTime(777);
      h.processElement(new StreamRecord<>(new KafkaInput("in", 0, 0, 1, good)));
      h.processElement(new StreamRecord<>(new KafkaInput("in", 0, 1, 1, text)));
      h.processElement(new StreamRecord<>(new KafkaInput("in", 0, 2, 1, junk)));

      assertThat(h.extractOutputValues()).extracting(p -> p.imageId).containsExactly("good");
      List<DeadLetterRecord> dead = h.getSideOutput(DeadLetters.TAG).stream().map(StreamRecord::getValue).collect(Collectors.toList());
      assertThat(dead).extracting(DeadLetterRecord::getErrorCode).containsExactly(ErrorCode.UNSUPPORTED_FORMAT, ErrorCode.UNDECODABLE_RECORD);
      assertThat(dead).extracting(DeadLetterRecord::getSourceOffset).containsExactly(1L, 2L);
      assertThat(dead.get(1).getPayload()).isEqualTo(ByteBuffer.wrap(junk));
      assertThat(dead.get(0).getTime().toEpochMilli()).isEqualTo(777L);
      assertThat(((Counter) metrics.get(JobMetrics.RECORDS_IN)).getCount()).isEqualTo(3);
      assertThat(((Counter) metrics.get(JobMetrics.IMAGES_VALID)).getCount()).isEqualTo(1);
      assertThat(((Counter) metrics.get(JobMetrics.DEAD_LETTERS_TOTAL)).getCount()).isEqualTo(2);
    }
  }

  private static ImageRecord record(String id, byte[] image) {
    return ImageRecord.newBuilder()
        .setImageId(id)
        .setImage(ByteBuffer.wrap(image))
        .setContentType("image/png")
        .setLabel(null)
        .setSourceUri(null)
        .setEventTime(Instant.ofEpochMilli(5))
        .setAttributes(Map.of())
        .build();
  }
}
