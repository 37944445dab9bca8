package dev.ibq.training.tokenizer.train;

/**
 * A histogram of code indices and the two summaries the paper reports.
 *
 * <ul>
 *   <li>utilization = (codes used at least once) / K;
 *   <li>perplexity = exp(H(u)) with u the normalised histogram and H in nats; it equals K when all codes
 *       are used equally often and 1 when one code takes everything.
 * </ul>
 */
public final class CodeUsage {

  private final long[] counts;
  private long total;

  public CodeUsage(int codebookSize) {
    if (codebookSize <= 0) {
      throw new IllegalArgumentException("The codebook size is " + codebookSize + "; it must be positive.");
    }
    this.counts = new long[codebookSize];
  }

  /** Counts each index once. */
  public void add(long[] indices) {
    for (long index : indices) {
      add(index);
    }
  }

  /** Counts one index. */
  public void add(long index) {
    if (index < 0 || index >= counts.length) {
      throw new IllegalArgumentException("Code index " + index + " is outside the codebook [0, " + counts.length + ").");
    }
    counts[(int) index]++;
    total++;
  }

  /** Adds another histogram of the same codebook. */
  public void addAll(CodeUsage other) {
    if (other.counts.length != counts.length) {
      throw new IllegalArgumentException("Cannot add a histogram of " + other.counts.length + " codes to one of " + counts.length + ".");
    }
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
  }

  public int codebookSize() {
    return counts.length;
  }

  public long total() {
    return total;
  }

  public long count(int code) {
    return counts[code];
  }

  /** Codes used at least once. */
  public int usedCodes() {
    int used = 0;
    for (long c : counts) {
      if (c > 0) {
        used++;
      }
    }
    return used;
  }

  /** Codes used at least once / K (0 when nothing was counted). */
  public double utilization() {
    return (double) usedCodes() / counts.length;
  }

  /** exp(entropy of the usage distribution), in [1, K]; 0 when nothing was counted. */
  public double perplexity() {
    if (total == 0) {
      return 0;
    }
    double entropy = 0;
    for (long c : counts) {
      if (c > 0) {
        double p = (double) c / total;
        entropy -= p * Math.log(p);
      }
    }
    return Math.exp(entropy);
  }

  public void clear() {
    java.util.Arrays.fill(counts, 0);
    total = 0;
  }
}
