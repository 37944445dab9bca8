package dev.ibq.stream.metrics;

/**
 * Codebook usage over the most recent {@code window} tokens: utilization (distinct codes used / K) and
 * perplexity (exp of the entropy of the empirical code distribution, in codes; K at best, 1 when a
 * single code is used).
 *
 * <p>A ring buffer of the last tokens plus a running histogram of length K: adding a token evicts the
 * oldest once the window is full, so both figures describe recent traffic and a tokenizer that collapses
 * or drifts in production shows up within one window. {@code window = Integer.MAX_VALUE} is not allowed;
 * use {@link #unbounded(int)} to count every token ever added (used for whole-run summaries).
 *
 * <p>Not thread-safe: one writer; publish the results through volatile fields for metric reporters.
 */
public final class CodebookUsage {
  private final int codebookSize;
  private final int[] counts; // (K,)
  private final int[] ring; // (window,) or null when unbounded
  private int ringNext;
  private long total; // tokens currently counted
  private int used; // codes with count > 0

  /**
   * @param codebookSize K
   * @param window number of most recent tokens covered
   */
  public CodebookUsage(int codebookSize, int window) {
    if (codebookSize <= 0) {
      throw new IllegalArgumentException("Codebook size is " + codebookSize + "; expected a positive K.");
    }
    if (window <= 0) {
      throw new IllegalArgumentException("Usage window is " + window + " tokens; expected a positive number.");
    }
    this.codebookSize = codebookSize;
    this.counts = new int[codebookSize];
    this.ring = new int[window];
  }

  private CodebookUsage(int codebookSize) {
    this.codebookSize = codebookSize;
    this.counts = new int[codebookSize];
    this.ring = null;
  }

  /** Counts every token ever added (no eviction). */
  public static CodebookUsage unbounded(int codebookSize) {
    if (codebookSize <= 0) {
      throw new IllegalArgumentException("Codebook size is " + codebookSize + "; expected a positive K.");
    }
    return new CodebookUsage(codebookSize);
  }

  /** Adds the tokens of one image. */
  public void add(int[] tokens) {
    for (int t : tokens) {
      add(t);
    }
  }

  /** Adds one token. */
  public void add(int token) {
    if (token < 0 || token >= codebookSize) {
      throw new IllegalArgumentException("Token " + token + " is outside the codebook [0, " + codebookSize + ").");
    }
    if (ring != null) {
      if (total == ring.length) {
        int old = ring[ringNext];
        if (--counts[old] == 0) {
          used--;
        }
        total--;
      }
      ring[ringNext] = token;
      ringNext = (ringNext + 1) % ring.length;
    }
    if (counts[token]++ == 0) {
      used++;
    }
    total++;
  }

  /** Tokens currently counted. */
  public long tokens() {
    return total;
  }

  /** Distinct codes among the counted tokens. */
  public int usedCodes() {
    return used;
  }

  /** Distinct codes used / K; 0 before any token. */
  public double utilization() {
    return (double) used / codebookSize;
  }

  /** exp(-sum_k p_k ln p_k) over the counted tokens; 0 before any token. O(K). */
  public double perplexity() {
    if (total == 0) {
      return 0.0;
    }
    double entropy = 0.0;
    double n = total;
    for (int c : counts) {
      if (c > 0) {
        double p = c / n;
        entropy -= p * Math.log(p);
      }
    }
    return Math.exp(entropy);
  }
}
