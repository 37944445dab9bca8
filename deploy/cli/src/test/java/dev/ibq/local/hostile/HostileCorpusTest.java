package dev.ibq.local.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.job.DecodeFunction;
import dev.ibq.stream.job.TopologySettings;
import dev.ibq.stream.kafka.KafkaInput;
import dev.ibq.image.DecodeLimits;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every case of the hostile corpus gets its verdict from the decode step alone, each within a time bound. */
class HostileCorpusTest {
  /**
   * The decode budget of the hostile runs: a tenth of the slow JPEG's full decode here (over 2 s on this
   * 2-core machine), and well above the slowest valid image's first, cold decode (under 100 ms).
   */
  static final long DECODE_BUDGET_MS = 500;

  static TopologySettings settings() {
    return new TopologySettings(16, 50, 1, (int) DecodeLimits.DEFAULT_MAX_ENCODED_BYTES, 50_000_000, 8, List.of(), 1000,
        DecodeLimits.DEFAULT_MAX_DECODED_BYTES, DECODE_BUDGET_MS, JobConfig.DEFAULT_MAX_REQUEST_BYTES);
  }

  @Test
  void everyCaseGetsItsVerdictWithinItsTimeBound() {
    PreprocessingSpec spec = PreprocessingSpec.fashionMnist32();
    Preprocessor pre = new Preprocessor(spec);
    AvroCodec<ImageRecord> codec = AvroCodec.forClass(ImageRecord.class);
    TopologySettings s = settings();
    List<HostileCorpus.Case> cases = new ArrayList<>(HostileCorpus.hostile());
    cases.addAll(HostileCorpus.validSpecials());
    List<String> wrong = new ArrayList<>();
    for (HostileCorpus.Case c : cases) {
      KafkaInput in = new KafkaInput("t", 0, 0, 0, c.value() == null ? new byte[0] : c.value());
      long t0 = System.nanoTime();
      DecodeFunction.Outcome o = DecodeFunction.prepare(in, codec, pre, s.decodeLimits(), s.maxMetadataBytes(), spec.tensorSize());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf("%-48s %-20s %6d ms  %s%n", c.name(), o.image != null ? "tokens" : o.code, ms,
          o.message == null ? "" : o.message.substring(0, Math.min(140, o.message.length())));
      if (o.image != null ? c.expected() != null : o.code != c.expected()) {
        wrong.add(c + " got " + (o.image != null ? "tokens" : o.code + ": " + o.message));
      }
      if (ms > DECODE_BUDGET_MS + 3000) {
        wrong.add(c + " took " + ms + " ms");
      }
    }
    assertThat(wrong).isEmpty();
  }
}
