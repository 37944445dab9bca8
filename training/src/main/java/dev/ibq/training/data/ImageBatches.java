package dev.ibq.training.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.training.run.BatchOrder;

/**
 * A labelled image set ({@link LabelledImages}: Fashion-MNIST or the user's folder) as DJL batches
 * {@code (B, C, H, W)} float32 in [-1, 1], every image taken through the shared {@link Preprocessor} (the one
 * preprocessing implementation).
 *
 * <p>Training order: {@link BatchOrder}, the batch order both stages share (shuffled epochs; the position
 * (epoch, offset) is the whole data-order state of a checkpoint).
 */
public final class ImageBatches {

  private final LabelledImages data;
  private final Preprocessor preprocessor;
  private final BatchOrder order;

  public ImageBatches(LabelledImages data, Preprocessor preprocessor, int batchSize, long seed) {
    this.data = data;
    this.preprocessor = preprocessor;
    this.order = new BatchOrder(data.size(), batchSize, seed);
  }

  public BatchOrder.Position position() {
    return order.position();
  }

  /** Continues from a saved position. */
  public void seek(BatchOrder.Position position) {
    order.seek(position);
  }

  /** The next training batch, (B, C, H, W), on {@code manager}'s device. */
  public NDArray next(NDManager manager) {
    return batch(data, preprocessor, order.next(), manager);
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
