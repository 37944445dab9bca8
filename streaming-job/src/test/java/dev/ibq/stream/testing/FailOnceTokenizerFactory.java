package dev.ibq.stream.testing;

import dev.ibq.stream.tokenize.BatchTokenizer;
import dev.ibq.stream.tokenize.BatchTokenizerFactory;
import dev.ibq.model.TokenizerIdentity;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps a real tokenizer factory; the tokenizers it opens crash the task once (with an {@link Error},
 * which the job does not turn into dead letters) when the images encoded in this JVM reach a threshold.
 * State is static because a mini cluster runs every attempt of the job in this JVM; call {@link #reset}
 * before each test.
 */
public final class FailOnceTokenizerFactory implements BatchTokenizerFactory {
  private static final long serialVersionUID = 1L;

  /** Images encoded by all tokenizers of this JVM, across job attempts. */
  public static final AtomicLong ENCODED = new AtomicLong();

  /** Whether the injected failure happened. */
  public static final AtomicBoolean FAILED = new AtomicBoolean();

  private final BatchTokenizerFactory delegate;
  private final long failAtImages;

  public FailOnceTokenizerFactory(BatchTokenizerFactory delegate, long failAtImages) {
    this.delegate = delegate;
    this.failAtImages = failAtImages;
  }

  public static void reset() {
    ENCODED.set(0);
    FAILED.set(false);
  }

  /** The failure: an Error, as a crashing native library or a lost worker would surface. */
  public static final class InjectedFailure extends Error {
    private static final long serialVersionUID = 1L;

    InjectedFailure(String message) {
      super(message);
    }
  }

  @Override
  public TokenizerIdentity describe() throws Exception {
    return delegate.describe();
  }

  @Override
  public BatchTokenizer open() throws Exception {
    BatchTokenizer t = delegate.open();
    return new BatchTokenizer() {
      @Override
      public TokenizerIdentity identity() {
        return t.identity();
      }

      @Override
      public int[][] encode(float[] nchw, int batch) throws Exception {
        if (ENCODED.get() + batch >= failAtImages && FAILED.compareAndSet(false, true)) {
          throw new InjectedFailure("injected task failure after " + ENCODED.get() + " images");
        }
        int[][] out = t.encode(nchw, batch);
        ENCODED.addAndGet(batch);
        return out;
      }

      @Override
      public void close() {
        t.close();
      }
    };
  }
}
