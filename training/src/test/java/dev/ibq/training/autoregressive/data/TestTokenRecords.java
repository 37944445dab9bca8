package dev.ibq.training.autoregressive.data;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.schemas.TokenRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Hand-made {@link TokenRecord}s for tests, with a class-dependent structure a model can learn: token i of a record
 * of class c is (c * 3 + i) mod K, with 10% of the positions replaced by random tokens.
 *
 * <p>NOTE: a stopgap until a real tokenizer's {@code encode} output is available to the tests; the records still
 * travel through the real Avro container path ({@link TokenRecordFiles}).
 */
public final class TestTokenRecords {

  private TestTokenRecords() {}

  public static List<TokenRecord> make(
      int count, int gridHeight, int gridWidth, int k, int classes, String tokenizerId, long seed) {
    Random random = new Random(seed);
    List<TokenRecord> out = new ArrayList<>();
    for (int r = 0; r < count; r++) {
      int label = r % classes;
      List<Integer> tokens = new ArrayList<>();
      for (int i = 0; i < gridHeight * gridWidth; i++) {
        tokens.add(random.nextFloat() < 0.1f ? random.nextInt(k) : (label * 3 + i) % k);
      }
      out.add(record("img-" + r, tokens, gridHeight, gridWidth, k, tokenizerId, label));
    }
    return out;
  }

  public static TokenRecord record(
      String imageId, List<Integer> tokens, int gridHeight, int gridWidth, int k, String tokenizerId, Integer label) {
    Instant now = Instant.ofEpochMilli(1_700_000_000_000L);
    return TokenRecord.newBuilder()
        .setImageId(imageId)
        .setTokens(tokens)
        .setGridHeight(gridHeight)
        .setGridWidth(gridWidth)
        .setCodebookSize(k)
        .setTokenizerId(tokenizerId)
        .setTokenizerName("test-tokenizer")
        .setPreprocessing(PreprocessingSpec.fashionMnist32().toDescriptor())
        .setLabel(label)
        .setAttributes(Map.of())
        .setEventTime(now)
        .setProcessingTime(now)
        .setEncodeLatencyMicros(0L)
        .build();
  }
}
