package dev.ibq.local.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.local.embedded.EmbeddedPipeline;
import dev.ibq.stream.job.DeadLetters;
import dev.ibq.stream.testing.TestModels;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hostile corpus through the real job (Flink mini cluster, exactly-once) on a real Kafka broker,
 * interleaved with 200 Fashion-MNIST images: one output per input (a token record or a dead letter with
 * the case's code), dead letters that fit the sink and keep size and hash, no restart (the restart
 * strategy is "none", so any task failure fails the run), and a bounded time per record.
 */
class HostileCorpusIT {
  private static EmbeddedPipeline pipeline;

  @BeforeAll
  static void startBroker() {
    pipeline = EmbeddedPipeline.start();
  }

  @AfterAll
  static void stopBroker() {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @Test
  void everyInputGivesExactlyOneOutputWithItsVerdictAndNothingRestartsTheJob() throws Exception {
    List<HostileCorpus.Case> valid = new ArrayList<>(HostileCorpus.fashion(200));
    valid.addAll(HostileCorpus.validSpecials());
    List<HostileCorpus.Case> cases = HostileCorpus.interleave(valid, HostileCorpus.hostile());
    List<byte[]> values = cases.stream().map(HostileCorpus.Case::value).collect(Collectors.toList());

    EmbeddedPipeline.Result r = pipeline.run(
        EmbeddedPipeline.Request.of(TestModels.encoder(), List.of())
            .withRawValues(values)
            .withBatch(16, 50)
            .withExecutionProvider("cpu")
            .withSettings(Map.of(JobConfig.DECODE_TIMEOUT_MS, String.valueOf(HostileCorpusTest.DECODE_BUDGET_MS)))
            .withFlinkSettings(Map.of("restart-strategy.type", "none")));

    // One output per input.
    assertThat(r.recordsIn()).isEqualTo(cases.size());
    assertThat(r.tokenRecordsOut() + r.deadLettered()).isEqualTo(cases.size());
    assertThat(r.duplicateImageIds()).isZero();
    assertThat(r.tokens()).extracting(TokenRecord::getImageId).containsExactlyInAnyOrderElementsOf(
        cases.stream().filter(HostileCorpus.Case::valid).map(HostileCorpus.Case::imageId).collect(Collectors.toList()));

    // Each dead letter is the verdict of the input at its offset (one partition: offset = position).
    Map<Long, DeadLetterRecord> byOffset = new HashMap<>();
    for (DeadLetterRecord d : r.deadLetters()) {
      assertThat(byOffset.put(d.getSourceOffset(), d)).as("a second dead letter for offset %d", d.getSourceOffset()).isNull();
    }
    int maxPayload = DeadLetters.maxPayloadBytes(JobConfig.DEFAULT_MAX_REQUEST_BYTES);
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      HostileCorpus.Case c = cases.get(i);
      DeadLetterRecord d = byOffset.get((long) i);
      if (c.valid()) {
        if (d != null) {
          wrong.add(c + " was dead-lettered: " + d.getErrorCode() + " " + d.getMessage());
        }
        continue;
      }
      if (d == null) {
        wrong.add(c + " has no dead letter");
        continue;
      }
      if (d.getErrorCode() != c.expected()) {
        wrong.add(c + " got " + d.getErrorCode() + ": " + d.getMessage());
      }
      byte[] original = c.value() == null ? new byte[0] : c.value();
      assertThat(d.getPayloadSize()).as(c.name()).isEqualTo((long) original.length);
      assertThat(d.getPayloadSha256()).as(c.name()).isEqualTo(DeadLetters.sha256(original));
      assertThat(d.getPayloadTruncated()).as(c.name()).isEqualTo(original.length > maxPayload);
      byte[] kept = bytes(d.getPayload());
      assertThat(kept).as(c.name()).isEqualTo(Arrays.copyOf(original, Math.min(original.length, maxPayload)));
      if (c.imageId() != null) {
        assertThat(d.getImageId()).as(c.name()).isEqualTo(c.imageId().length() <= DeadLetters.MAX_ID_CHARS
            ? c.imageId() : c.imageId().substring(0, DeadLetters.MAX_ID_CHARS - 1) + "\u2026");
      }
    }
    assertThat(wrong).isEmpty();

    // Time: the slow JPEG was stopped at its budget, and the whole run stayed within seconds per record.
    DeadLetterRecord slow = r.deadLetters().stream().filter(d -> "slow-progressive-jpeg".equals(d.getImageId())).findFirst().orElseThrow();
    Matcher m = Pattern.compile("stopped after (\\d+) ms").matcher(slow.getMessage());
    assertThat(m.find()).as(slow.getMessage()).isTrue();
    assertThat(Long.parseLong(m.group(1))).isLessThan(HostileCorpusTest.DECODE_BUDGET_MS + 1000);
    System.out.printf("Hostile corpus: %d inputs (%d hostile), %d token records, %d dead letters %s; job %d ms"
        + " (%.1f ms per record), wall %d ms%n", cases.size(), cases.size() - valid.size(), r.tokenRecordsOut(),
        r.deadLettered(), r.deadLettersByCode(), r.jobMillis(), (double) r.jobMillis() / cases.size(), r.wallMillis());
    assertThat(r.jobMillis()).as("job run time").isLessThan(120_000);
  }
}
