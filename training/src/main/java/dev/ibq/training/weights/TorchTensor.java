package dev.ibq.training.weights;

import java.util.Arrays;

/**
 * A tensor found in a torch checkpoint's pickle, not yet read: its storage (an entry {@code data/<key>} of the zip),
 * element type, offset into the storage, shape and strides, as {@code torch._utils._rebuild_tensor_v2} receives them.
 * {@link TorchCheckpoint#read(TorchTensor)} reads its values.
 *
 * @param storageKey the storage's key (the zip entry {@code <archive>/data/<key>})
 * @param dtype element type of the storage
 * @param storageElements elements in the storage
 * @param offset first element of this tensor in the storage
 * @param shape dimensions
 * @param stride element strides per dimension
 */
public record TorchTensor(String storageKey, DType dtype, long storageElements, long offset, long[] shape, long[] stride) {

  public TorchTensor {
    shape = shape.clone();
    stride = stride.clone();
    if (shape.length != stride.length) {
      throw new IllegalArgumentException(
          "A tensor of shape " + Arrays.toString(shape) + " has strides " + Arrays.toString(stride) + "; one stride per dimension is expected.");
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  @Override
  public long[] stride() {
    return stride.clone();
  }

  /** Number of elements. */
  public long numel() {
    return TensorData.numel(shape);
  }

  /** True when the elements are laid out in row-major order without gaps (the common case). */
  public boolean contiguous() {
    long expected = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      if (shape[i] != 1 && stride[i] != expected) {
        return false;
      }
      expected *= shape[i];
    }
    return true;
  }

  /** The largest storage element this tensor touches, plus one (0 for an empty tensor). */
  long extent() {
    if (numel() == 0) {
      return 0;
    }
    long last = offset;
    for (int i = 0; i < shape.length; i++) {
      last += (shape[i] - 1) * stride[i];
    }
    return last + 1;
  }

  @Override
  public String toString() {
    return dtype + Arrays.toString(shape) + " (storage " + storageKey + ")";
  }
}
