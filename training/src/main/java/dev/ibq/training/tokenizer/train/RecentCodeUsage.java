package dev.ibq.training.tokenizer.train;

import java.util.ArrayDeque;

/**
 * Codebook usage over the last {@code window} training steps: how many distinct codes the batches of
 * those steps selected. Maintained incrementally (add the new step's indices, remove the oldest step's).
 */
final class RecentCodeUsage {

  private final int window;
  private final int[] counts;
  private final ArrayDeque<int[]> steps = new ArrayDeque<>();
  private int used;

  RecentCodeUsage(int codebookSize, int window) {
    this.window = window;
    this.counts = new int[codebookSize];
  }

  void add(int[] indices) {
    for (int i : indices) {
      if (counts[i]++ == 0) {
        used++;
      }
    }
    steps.addLast(indices);
    if (steps.size() > window) {
      for (int i : steps.removeFirst()) {
        if (--counts[i] == 0) {
          used--;
        }
      }
    }
  }

  /** Distinct codes selected in the window / K. */
  double utilization() {
    return (double) used / counts.length;
  }

  int usedCodes() {
    return used;
  }
}
