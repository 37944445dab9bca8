package dev.ibq.training.run;

import java.util.Random;

/**
 * The batch order of both training stages: shuffled epochs over a data set of {@code size} items, batches of
 * {@code batchSize} indices. The permutation of epoch e is a pure function of (seed, e), so the {@link Position}
 * (epoch, offset) is all a checkpoint needs to continue with exactly the batches an uninterrupted run would have
 * seen. A batch never straddles two epochs: the last {@code size mod batchSize} items of a permutation are skipped
 * (they differ every epoch).
 */
public final class BatchOrder {

  /** Where the next batch starts: epoch number and offset into that epoch's permutation. */
  public record Position(long epoch, int offset) {}

  private final int size;
  private final int batchSize;
  private final long seed;
  private long epoch;
  private int offset;
  private int[] permutation;

  /**
   * @param size items in the data set
   * @param batchSize indices per batch, 1 .. size
   * @param seed the run's seed
   */
  public BatchOrder(int size, int batchSize, long seed) {
    if (batchSize <= 0 || batchSize > size) {
      throw new IllegalArgumentException(
          "The batch size is " + batchSize + "; it must be between 1 and the " + size + " items of the data set.");
    }
    this.size = size;
    this.batchSize = batchSize;
    this.seed = seed;
    seek(new Position(0, 0));
  }

  /** The permutation of epoch {@code e}: Fisher-Yates with a generator seeded from (seed, e). */
  public static int[] permutation(int size, long seed, long epoch) {
    Random random = new Random(seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + 1);
    int[] p = new int[size];
    for (int i = 0; i < size; i++) {
      p[i] = i;
    }
    for (int i = size - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  public Position position() {
    return new Position(epoch, offset);
  }

  /** Continues from a saved position. */
  public void seek(Position position) {
    if (position.offset() < 0 || position.offset() > size) {
      throw new IllegalArgumentException("Data offset " + position.offset() + " is outside the " + size + " items of the data set.");
    }
    this.epoch = position.epoch();
    this.offset = position.offset();
    this.permutation = permutation(size, seed, epoch);
  }

  /** The indices of the next batch. */
  public int[] next() {
    if (offset + batchSize > size) {
      epoch++;
      offset = 0;
      permutation = permutation(size, seed, epoch);
    }
    int[] indices = new int[batchSize];
    System.arraycopy(permutation, offset, indices, 0, batchSize);
    offset += batchSize;
    return indices;
  }
}
