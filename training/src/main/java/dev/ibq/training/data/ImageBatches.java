package dev.ibq.training.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import java.util.Random;

/**
 * A labelled image set ({@link LabelledImages}: Fashion-MNIST or the user's folder) as DJL batches
 * {@code (B, C, H, W)} float32 in [-1, 1], every image taken through the shared {@link Preprocessor} (the one
 * preprocessing implementation).
 *
 * <p>Training order: shuffled epochs. The permutation of epoch e is a pure function of (seed, e), so
 * the data position {@link Position} (epoch, offset) is all a checkpoint needs to continue with exactly
 * the batches an uninterrupted run would have seen. A batch never straddles two epochs: the last
 * {@code size mod B} images of a permutation are skipped (they differ every epoch).
 */
public final class ImageBatches {

  /** Where the next batch starts: epoch number and offset into that epoch's permutation. */
  public record Position(long epoch, int offset) {}

  private final LabelledImages data;
  private final Preprocessor preprocessor;
  private final int batchSize;
  private final long seed;
  private long epoch;
  private int offset;
  private int[] permutation;

  public ImageBatches(LabelledImages data, Preprocessor preprocessor, int batchSize, long seed) {
    if (batchSize <= 0 || batchSize > data.size()) {
      throw new IllegalArgumentException(
          "The batch size is " + batchSize + "; it must be between 1 and the " + data.size() + " images of the data set.");
    }
    this.data = data;
    this.preprocessor = preprocessor;
    this.batchSize = batchSize;
    this.seed = seed;
    seek(new Position(0, 0));
  }

  /** The permutation of epoch {@code e}: Fisher-Yates with a generator seeded from (seed, e). */
  static int[] permutation(int size, long seed, long epoch) {
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
    if (position.offset() < 0 || position.offset() > data.size()) {
      throw new IllegalArgumentException("Data offset " + position.offset() + " is outside the " + data.size() + " images.");
    }
    this.epoch = position.epoch();
    this.offset = position.offset();
    this.permutation = permutation(data.size(), seed, epoch);
  }

  /** The next training batch, (B, C, H, W), on {@code manager}'s device. */
  public NDArray next(NDManager manager) {
    if (offset + batchSize > data.size()) {
      epoch++;
      offset = 0;
      permutation = permutation(data.size(), seed, epoch);
    }
    int[] indices = new int[batchSize];
    System.arraycopy(permutation, offset, indices, 0, batchSize);
    offset += batchSize;
    return batch(data, preprocessor, indices, manager);
  }

  /** The images at {@code indices}, in that order, as one batch (B, C, H, W). */
  public static NDArray batch(LabelledImages data, Preprocessor preprocessor, int[] indices, NDManager manager) {
    return manager.create(floats(data, preprocessor, indices), shape(preprocessor, indices.length));
  }

  /** Fashion-MNIST images at {@code indices} as one batch (B, C, H, W). */
  public static NDArray batch(FashionMnist data, Preprocessor preprocessor, int[] indices, NDManager manager) {
    return batch(new FashionMnistImages(data), preprocessor, indices, manager);
  }

  /** The preprocessed images at {@code indices} as one (B, C, H, W) row-major float array. */
  public static float[] floats(LabelledImages data, Preprocessor preprocessor, int[] indices) {
    int size = preprocessor.spec().tensorSize();
    float[] out = new float[indices.length * size];
    for (int i = 0; i < indices.length; i++) {
      data.preprocessInto(indices[i], preprocessor, out, i * size);
    }
    return out;
  }

  /** The batch shape (n, C, H, W) of the spec. */
  public static Shape shape(Preprocessor preprocessor, int n) {
    var spec = preprocessor.spec();
    return new Shape(n, spec.channels(), spec.height(), spec.width());
  }

  /** Images {@code from .. from + count - 1} in data-set order (evaluation). */
  public static int[] range(int from, int count) {
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      out[i] = from + i;
    }
    return out;
  }
}
