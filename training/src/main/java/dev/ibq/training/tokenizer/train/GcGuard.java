package dev.ibq.training.tokenizer.train;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.util.List;

/**
 * Keeps Java garbage collections out of the inside of a training step, and counts those it could not
 * keep out.
 *
 * <p>Why: DJL's PyTorch engine on the CPU builds tensors with {@code from_blob} over Java direct
 * buffers, and {@code x.mul(2.0)} / {@code x.div(t)} create such a 0-dim tensor for the number, use
 * it, and close it at once. Autograd has saved that number tensor for the backward pass, but its memory
 * belongs to the now-unreachable Java buffer: a garbage collection between forward and backward frees
 * it, and the backward pass reads freed memory (wrong gradients, sometimes NaN). Reproduced here by
 * running the trainer with a thread that calls {@code System.gc()} every few milliseconds.
 *
 * <p>NOTE: workaround, not a fix. Before each step, when the young generation is more than half full
 * (or would not hold the next step's allocations), this class collects explicitly, between steps, when
 * no autograd graph is alive; a step then allocates far less than the free young generation, so no
 * collection starts inside it. {@link #afterStep()} reports any collection that still did. The real fix
 * is to never pass a Java number to {@code mul}/{@code div} on a tensor that needs a gradient (multiply
 * by an NDArray scalar that lives until backward is done), which the trainer's own loss code does.
 */
final class GcGuard {

  private final MemoryPoolMXBean eden;
  private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
  private final com.sun.management.ThreadMXBean threads;
  private long collectionsBefore;
  private long allocatedBefore;
  private long lastStepBytes;
  private long unsafeCollections;

  GcGuard() {
    MemoryPoolMXBean found = null;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getName().contains("Eden")) {
        found = pool;
      }
    }
    this.eden = found;
    this.threads = ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t ? t : null;
  }

  void beforeStep() {
    if (eden != null) {
      MemoryUsage usage = eden.getUsage();
      long capacity = usage.getMax() > 0 ? Math.min(usage.getMax(), Math.max(usage.getCommitted(), 1)) : usage.getCommitted();
      if (usage.getUsed() > capacity / 2 || usage.getUsed() + 4 * lastStepBytes > capacity) {
        System.gc();
      }
    }
    collectionsBefore = collections();
    allocatedBefore = allocated();
  }

  /** True when a collection ran during the step (the gradients of that step may be wrong). */
  boolean afterStep() {
    lastStepBytes = Math.max(0, allocated() - allocatedBefore);
    boolean unsafe = collections() != collectionsBefore;
    if (unsafe) {
      unsafeCollections++;
    }
    return unsafe;
  }

  long unsafeCollections() {
    return unsafeCollections;
  }

  long lastStepBytes() {
    return lastStepBytes;
  }

  private long collections() {
    long n = 0;
    for (GarbageCollectorMXBean gc : collectors) {
      n += Math.max(0, gc.getCollectionCount());
    }
    return n;
  }

  private long allocated() {
    return threads == null ? 0 : threads.getCurrentThreadAllocatedBytes();
  }
}
