package dev.ibq.stream.testing;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.stream.tokenize.BatchTokenizer;
import dev.ibq.stream.tokenize.BatchTokenizerFactory;
import dev.ibq.model.TokenizerIdentity;

/**
 * A deterministic stand-in tokenizer for operator tests: images of 1x2x2 values, a 1x2 token grid,
 * K = 16; token j of an image is {@code floor((x[2j] + 1) * 8)} clamped to [0, 15]. It can be told to
 * throw on one batch (by its ordinal) to exercise the dead-letter path.
 */
public final class ThresholdTokenizer implements BatchTokenizer {
  public static final TokenizerIdentity IDENTITY =
      new TokenizerIdentity(
          "threshold-test", "threshold", 16, 1, 2, 1, 2, 2, PreprocessingSpec.fashionMnist32().toCanonicalString(), "CPU");

  /** An image whose second value is this makes every batch that holds it fail ({@link #poisoning()}). */
  public static final float POISON = 0.75f;

  /** Inference calls of all tokenizers in this JVM. */
  public static final java.util.concurrent.atomic.AtomicInteger CALLS = new java.util.concurrent.atomic.AtomicInteger();

  private final int failOnBatch;
  private final boolean poisonable;
  private int batches;

  private ThresholdTokenizer(int failOnBatch, boolean poisonable) {
    this.failOnBatch = failOnBatch;
    this.poisonable = poisonable;
  }

  /** A factory whose tokenizers fail every batch that holds an image with {@link #POISON} as its second value. */
  public static BatchTokenizerFactory poisoning() {
    return new BatchTokenizerFactory() {
      private static final long serialVersionUID = 1L;

      @Override
      public BatchTokenizer open() {
        return new ThresholdTokenizer(-1, true);
      }
    };
  }

  /** A factory whose tokenizers never fail. */
  public static BatchTokenizerFactory factory() {
    return factory(-1);
  }

  /** A factory whose tokenizers throw on their {@code failOnBatch}-th batch (0-based). */
  public static BatchTokenizerFactory factory(int failOnBatch) {
    return new BatchTokenizerFactory() {
      private static final long serialVersionUID = 1L;

      @Override
      public BatchTokenizer open() {
        return new ThresholdTokenizer(failOnBatch, false);
      }
    };
  }

  /** The expected tokens of one image's 4 values. */
  public static int[] expected(float[] x) {
    return new int[] {token(x[0]), token(x[2])};
  }

  private static int token(float v) {
    return Math.max(0, Math.min(15, (int) Math.floor((v + 1) * 8)));
  }

  @Override
  public TokenizerIdentity identity() {
    return IDENTITY;
  }

  @Override
  public int[][] encode(float[] nchw, int batch) throws Exception {
    CALLS.incrementAndGet();
    if (batches++ == failOnBatch) {
      throw new java.io.IOException("injected inference failure");
    }
    for (int b = 0; poisonable && b < batch; b++) {
      if (nchw[b * 4 + 1] == POISON) {
        throw new java.io.IOException("injected failure: a poison image in the batch");
      }
    }
    int[][] out = new int[batch][];
    for (int b = 0; b < batch; b++) {
      out[b] = new int[] {token(nchw[b * 4]), token(nchw[b * 4 + 2])};
    }
    return out;
  }

  @Override
  public void close() {}
}
