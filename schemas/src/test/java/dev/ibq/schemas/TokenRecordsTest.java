package dev.ibq.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.model.TokenizerIdentity;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class TokenRecordsTest {

  private static final PreprocessingDescriptor FMNIST = PreprocessingSpec.fashionMnist32().toDescriptor();
  private static final TokenRecords.Model MODEL = new TokenRecords.Model("ab".repeat(32), "tiny", 8, 2, 3, FMNIST);

  @Test
  void everyFieldComesFromTheModelTheImageOrTheEncoding() {
    Map<String, byte[]> headers = new LinkedHashMap<>();
    headers.put("trace", new byte[] {1, 2});
    headers.put("empty", null);
    TokenRecords.Image image =
        new TokenRecords.Image("fmnist-test-00042", 7, Map.of("split", "test"), headers, Instant.ofEpochMilli(1_000));
    TokenRecord r = TokenRecords.of(MODEL, image, new int[] {0, 1, 7, 7, 3, 2}, Instant.ofEpochMilli(2_000), 55);

    assertThat(r.getImageId()).isEqualTo("fmnist-test-00042");
    assertThat(r.getTokens()).containsExactly(0, 1, 7, 7, 3, 2);
    assertThat(TokenRecords.tokens(r)).containsExactly(0, 1, 7, 7, 3, 2);
    assertThat(r.getGridHeight()).isEqualTo(2);
    assertThat(r.getGridWidth()).isEqualTo(3);
    assertThat(r.getCodebookSize()).isEqualTo(8);
    assertThat(r.getTokenizerId()).isEqualTo("ab".repeat(32));
    assertThat(r.getTokenizerName()).isEqualTo("tiny");
    assertThat(r.getPreprocessing()).isEqualTo(FMNIST);
    assertThat(r.getLabel()).isEqualTo(7);
    assertThat(r.getAttributes()).containsExactly(Map.entry("split", "test"));
    assertThat(r.getKafkaHeaders())
        .containsEntry("trace", ByteBuffer.wrap(new byte[] {1, 2}))
        .containsEntry("empty", ByteBuffer.wrap(new byte[0]));
    assertThat(r.getEventTime()).isEqualTo(Instant.ofEpochMilli(1_000));
    assertThat(r.getProcessingTime()).isEqualTo(Instant.ofEpochMilli(2_000));
    assertThat(r.getEncodeLatencyMicros()).isEqualTo(55);
  }

  @Test
  void theFactorySetsEveryFieldOfTheSchema() {
    // A tripwire: a field added to TokenRecord.avsc fails this list until the factory sets it and the test above
    // checks it (build() only catches a forgotten field that has no default).
    List<String> fields = TokenRecord.getClassSchema().getFields().stream().map(Schema.Field::name).toList();
    assertThat(fields).containsExactly(
        "image_id", "tokens", "grid_height", "grid_width", "codebook_size", "tokenizer_id", "tokenizer_name",
        "preprocessing", "label", "attributes", "event_time", "processing_time", "encode_latency_micros",
        "kafka_headers");
  }

  @Test
  void missingOptionalsBecomeEmpty() {
    TokenRecord r = TokenRecords.of(
        MODEL, TokenRecords.Image.of("a.png", null, null, Instant.EPOCH), new int[6], Instant.EPOCH, 0);
    assertThat(r.getLabel()).isNull();
    assertThat(r.getAttributes()).isEmpty();
    assertThat(r.getKafkaHeaders()).isEmpty();
  }

  @Test
  void theStreamsModelIsTheEncodersIdentity() {
    TokenizerIdentity identity = new TokenizerIdentity(
        "cd".repeat(32), "ibq-fashion-mnist-32", 1024, 4, 4, 1, 32, 32, FMNIST.getCanonical(), "CPU");
    TokenRecords.Model m = TokenRecords.Model.of(identity, FMNIST);
    assertThat(m).isEqualTo(new TokenRecords.Model("cd".repeat(32), "ibq-fashion-mnist-32", 1024, 4, 4, FMNIST));
    assertThat(m.tokensPerImage()).isEqualTo(16);
  }

  @Test
  void tokensThatDoNotFitTheModelAreRefused() {
    TokenRecords.Image image = TokenRecords.Image.of("x", null, null, Instant.EPOCH);
    assertThatThrownBy(() -> TokenRecords.of(MODEL, image, new int[5], Instant.EPOCH, 0))
        .hasMessage("Image x has 5 tokens; the 2x3 grid of tokenizer tiny needs 6.");
    assertThatThrownBy(() -> TokenRecords.of(MODEL, image, new int[] {0, 0, 8, 0, 0, 0}, Instant.EPOCH, 0))
        .hasMessage("Token 2 of image x is 8; expected a code in [0, 8).");
    assertThatThrownBy(() -> TokenRecords.of(MODEL, image, new int[] {0, -1, 0, 0, 0, 0}, Instant.EPOCH, 0))
        .hasMessageContaining("is -1");
    assertThatThrownBy(() -> new TokenRecords.Model("id", "n", 0, 2, 2, FMNIST)).hasMessageContaining("positive K");
    assertThatThrownBy(() -> TokenRecords.Image.of(null, null, null, Instant.EPOCH)).hasMessageContaining("needs an id");
  }

  @Test
  void fashionMnistIdsHaveOneSpelling() {
    assertThat(FashionMnist.imageId(FashionMnist.Split.TEST, 42)).isEqualTo("fmnist-test-00042");
    assertThat(FashionMnist.imageId(FashionMnist.Split.TRAIN, 59_999)).isEqualTo("fmnist-train-59999");
  }
}
