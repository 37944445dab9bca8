package dev.ibq.model;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * The one codebook-usage counter: a histogram of code indices (K bins) and the two summaries the paper
 * reports, used by the tokenizer evaluation, the training window, the stream job's gauges and
 * {@code ./ibq consume}.
 *
 * <ul>
 *   <li>utilization = (codes used at least once) / K; 0 before anything is counted;
 *   <li>perplexity = exp(H(u)) with u the normalised histogram and H in nats; K when all codes are used
 *       equally often, 1 when one code takes everything, 0 before anything is counted.
 * </ul>
 *
 * <p>Three windows, chosen at construction:
 *
 * <ul>
 *   <li>{@link #unbounded(int)}: every index ever added (evaluation, whole-topic summaries);
 *   <li>{@link #lastTokens(int, int)}: the most recent {@code window} indices, a ring buffer that evicts the
 *       oldest index once full (the stream's live gauges: a tokenizer that collapses in production shows
 *       within one window);
 *   <li>{@link #lastSteps(int, int)}: the indices of the most recent {@code window} training steps, added
 *       one step at a time with {@link #addStep(int[])} (the trainer's "recent utilization").
 * </ul>
 *
 * <p>Not thread-safe: one writer; publish the results through volatile fields for metric reporters.
 */
public final class CodeUsage {

  private enum Window {
    NONE,
    TOKENS,
    STEPS
  }

  private final Window kind;
  private final long[] counts; // (K,)
  private final int[] ring; // (window,) for TOKENS, else null
  private int ringNext;
  private final int maxSteps; // for STEPS, else 0
  private final ArrayDeque<int[]> steps; // for STEPS, else null
  private long total; // indices currently counted
  private int used; // codes with count > 0

  private CodeUsage(int codebookSize, Window kind, int window) {
    if (codebookSize <= 0) {
      throw new IllegalArgumentException("The codebook size is " + codebookSize + "; expected a positive K.");
    }
    if (kind != Window.NONE && window <= 0) {
      throw new IllegalArgumentException(
          "The usage window is " + window + (kind == Window.TOKENS ? " tokens" : " steps") + "; expected a positive number.");
    }
    this.kind = kind;
    this.counts = new long[codebookSize];
    this.ring = kind == Window.TOKENS ? new int[window] : null;
    this.maxSteps = kind == Window.STEPS ? window : 0;
    this.steps = kind == Window.STEPS ? new ArrayDeque<>() : null;
  }

  /** Counts every index ever added (no eviction). */
  public static CodeUsage unbounded(int codebookSize) {
    return new CodeUsage(codebookSize, Window.NONE, 0);
  }

  /** Counts the most recent {@code window} indices. */
  public static CodeUsage lastTokens(int codebookSize, int window) {
    return new CodeUsage(codebookSize, Window.TOKENS, window);
  }

  /** Counts the indices of the most recent {@code window} steps, each added with {@link #addStep(int[])}. */
  public static CodeUsage lastSteps(int codebookSize, int window) {
    return new CodeUsage(codebookSize, Window.STEPS, window);
  }

  /** Counts one index. */
  public void add(int index) {
    requireIndexWindow();
    check(index);
    if (ring != null) {
      if (total == ring.length) {
        decrement(ring[ringNext]);
      }
      ring[ringNext] = index;
      ringNext = (ringNext + 1) % ring.length;
    }
    increment(index);
  }

  /** Counts each index once (the tokens of one image, a batch of indices). */
  public void add(int[] indices) {
    for (int index : indices) {
      add(index);
    }
  }

  /** Counts each index once. */
  public void add(long[] indices) {
    for (long index : indices) {
      if (index < 0 || index >= counts.length) {
        throw outside(index);
      }
      add((int) index);
    }
  }

  /**
   * Adds {@code perCode[k]} more of each code k at once (a batch's histogram, e.g. the quantizer's per-batch code
   * counts); unbounded counters only.
   *
   * @throws IllegalArgumentException when the histogram has another length than K or a negative count
   */
  public void addCounts(long[] perCode) {
    if (kind != Window.NONE) {
      throw new IllegalStateException("A windowed usage counter takes single indices or steps, not a histogram.");
    }
    if (perCode.length != counts.length) {
      throw new IllegalArgumentException(
          "The histogram has " + perCode.length + " codes; this counter counts " + counts.length + ".");
    }
    for (int k = 0; k < perCode.length; k++) {
      if (perCode[k] < 0) {
        throw new IllegalArgumentException("The histogram counts code " + k + " " + perCode[k] + " times; counts are >= 0.");
      }
      if (perCode[k] > 0) {
        if (counts[k] == 0) {
          used++;
        }
        counts[k] += perCode[k];
        total += perCode[k];
      }
    }
  }

  /**
   * Counts the indices one training step selected, as one step of a {@link #lastSteps} window: the
   * oldest step leaves once the window holds more than {@code window} steps. The array is kept, not copied.
   */
  public void addStep(int[] indices) {
    if (kind != Window.STEPS) {
      throw new IllegalStateException("This codebook-usage counter is not windowed by steps; use add(...) or lastSteps(K, window).");
    }
    for (int index : indices) {
      check(index);
    }
    for (int index : indices) {
      increment(index);
    }
    steps.addLast(indices);
    if (steps.size() > maxSteps) {
      for (int index : steps.removeFirst()) {
        decrement(index);
      }
    }
  }

  /**
   * The steps a {@link #lastSteps} window holds, oldest first (the arrays themselves, not copies): what a
   * checkpoint saves so that a resumed run's window is the one it stopped with; replay them with
   * {@link #addStep(int[])} into a fresh window of the same size.
   */
  public List<int[]> recentSteps() {
    if (kind != Window.STEPS) {
      throw new IllegalStateException("This codebook-usage counter is not windowed by steps; it keeps no steps.");
    }
    return List.copyOf(steps);
  }

  /** Adds another unbounded histogram of the same codebook. */
  public void addAll(CodeUsage other) {
    if (kind != Window.NONE) {
      throw new IllegalStateException("Only an unbounded codebook-usage counter can add another histogram; this one is windowed.");
    }
    if (other.counts.length != counts.length) {
      throw new IllegalArgumentException(
          "Cannot add a histogram of " + other.counts.length + " codes to one of " + counts.length + ".");
    }
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] == 0 && other.counts[i] > 0) {
        used++;
      }
      counts[i] += other.counts[i];
    }
    total += other.total;
  }

  /** K. */
  public int codebookSize() {
    return counts.length;
  }

  /** Indices currently counted (for a window: the ones inside it). */
  public long total() {
    return total;
  }

  /** How often {@code code} is counted. */
  public long count(int code) {
    check(code);
    return counts[code];
  }

  /** Codes counted at least once. */
  public int usedCodes() {
    return used;
  }

  /** Codes used at least once / K; 0 when nothing was counted. */
  public double utilization() {
    return (double) used / counts.length;
  }

  /** exp({@link #entropy()}), in [1, K]; 0 when nothing was counted. O(K). */
  public double perplexity() {
    return total == 0 ? 0.0 : Math.exp(entropy());
  }

  /** -sum_k p_k ln p_k over the counted indices, in nats, in [0, ln K]; 0 when nothing was counted. O(K). */
  public double entropy() {
    if (total == 0) {
      return 0.0;
    }
    double entropy = 0.0;
    double n = total;
    for (long c : counts) {
      if (c > 0) {
        double p = c / n;
        entropy -= p * Math.log(p);
      }
    }
    return entropy;
  }

  /** Forgets everything counted (and the window's contents). */
  public void clear() {
    Arrays.fill(counts, 0);
    total = 0;
    used = 0;
    ringNext = 0;
    if (steps != null) {
      steps.clear();
    }
  }

  private void increment(int index) {
    if (counts[index]++ == 0) {
      used++;
    }
    total++;
  }

  private void decrement(int index) {
    if (--counts[index] == 0) {
      used--;
    }
    total--;
  }

  private void check(int index) {
    if (index < 0 || index >= counts.length) {
      throw outside(index);
    }
  }

  private IllegalArgumentException outside(long index) {
    return new IllegalArgumentException("Code index " + index + " is outside the codebook [0, " + counts.length + ").");
  }

  private void requireIndexWindow() {
    if (kind == Window.STEPS) {
      throw new IllegalStateException(
          "This codebook-usage counter is windowed by training steps; add each step's indices with addStep(int[]).");
    }
  }
}
