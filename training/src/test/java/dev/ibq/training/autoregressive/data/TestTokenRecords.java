package dev.ibq.training.autoregressive.data;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.TokenRecords;
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

  private static final Instant TIME = Instant.ofEpochMilli(1_700_000_000_000L);

  private TestTokenRecords() {}

  public static List<TokenRecord> make(
      int count, int gridHeight, int gridWidth, int k, int classes, String tokenizerId, long seed) {
    Random random = new Random(seed);
    TokenRecords.Model model = new TokenRecords.Model(
        tokenizerId, "test-tokenizer", k, gridHeight, gridWidth, PreprocessingSpec.fashionMnist32().toDescriptor());
    List<TokenRecord> out = new ArrayList<>();
    for (int r = 0; r < count; r++) {
      int label = r % classes;
      int[] tokens = new int[gridHeight * gridWidth];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = random.nextFloat() < 0.1f ? random.nextInt(k) : (label * 3 + i) % k;
      }
      out.add(TokenRecords.of(model, TokenRecords.Image.of("img-" + r, label, Map.of(), TIME), tokens, TIME, 0L));
    }
    return out;
  }

  /**
   * One record exactly as given, valid or not.
   *
   * <p>NOTE: this bypasses {@link TokenRecords#of} on purpose: the tests that use it hand the readers records the
   * factory refuses (a token outside [0, K), a count that does not fill the grid) to check that the readers refuse
   * them too.
   */
  public static TokenRecord record(
      String imageId, List<Integer> tokens, int gridHeight, int gridWidth, int k, String tokenizerId, Integer label) {
    Instant now = TIME;
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
