package dev.ibq.training.data;

import dev.ibq.image.Preprocessor;
import java.util.List;

/**
 * A labelled image set that training and evaluation read through the shared {@link Preprocessor}: Fashion-MNIST
 * ({@link FashionMnistImages}) or a folder of the user's own images with one sub-folder per class
 * ({@link FolderImages}). Indices are stable: image {@code i} is the same image on every call.
 */
public interface LabelledImages {

  /** Number of images. */
  int size();

  /** The class index of image {@code i}, in [0, classes().size()). */
  int label(int i);

  /** Class names, by label. */
  List<String> classes();

  /** Writes image {@code i} after {@code preprocessor} into {@code dst} at {@code offset} (C*H*W floats). */
  void preprocessInto(int i, Preprocessor preprocessor, float[] dst, int offset);

  /**
   * Rows and columns of the image content inside a {@code spec}-sized tensor, centred (evaluation leaves out
   * padding): the whole tensor unless the images are smaller and padded, like Fashion-MNIST's 28x28 in 32x32.
   */
  default int[] contentSize(dev.ibq.image.PreprocessingSpec spec) {
    return new int[] {spec.height(), spec.width()};
  }

  /** A short description for logs and run files, e.g. "Fashion-MNIST train (60000 images)". */
  String describe();
}
