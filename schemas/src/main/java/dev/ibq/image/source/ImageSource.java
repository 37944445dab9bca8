package dev.ibq.image.source;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.ImageRecord;
import java.util.List;

/**
 * A fixed, ordered set of input images: what {@code ./ibq produce} sends, {@code ./ibq encode} tokenizes and training
 * reads. Image {@code i} is the same image on every call and in every command (that is what makes an interrupted
 * encode resumable and the ids of one image equal across commands). Opened by name through {@link ImageSources}.
 *
 * <p>Nothing is preprocessed here: {@link #preprocessInto} hands the image to the shared {@link Preprocessor}.
 */
public interface ImageSource {

  /** The registry name that opens this source again, e.g. {@code fashion-mnist:test} or {@code folder:/data/photos}. */
  String name();

  /** Number of images. */
  int size();

  /** A stable description of the set (name, count and the ids' hash); a resume must see the same one. */
  default String fingerprint() {
    int hash = 1;
    for (int i = 0; i < size(); i++) {
      hash = 31 * hash + id(i).hashCode();
    }
    return name() + ":" + size() + ":" + Integer.toHexString(hash);
  }

  /**
   * Id of image {@code i}: {@code fmnist-test-00042} for Fashion-MNIST ({@link FashionMnist#imageId}), the path
   * relative to the folder with {@code /} separators for a folder, the path as given for a list of files.
   */
  String id(int i);

  /** Class label of image {@code i}, an index into {@link #classes()}, or null when it has none. */
  Integer label(int i);

  /** Class names by label; empty when the source has no labels. */
  List<String> classes();

  /**
   * Image {@code i} as a producer sends it: encoded bytes (files untouched; raw pixels as PNG), id, label, content
   * type and the attributes the source knows. The event time is the time of this call.
   */
  ImageRecord record(int i);

  /**
   * Writes image {@code i}, decoded within {@code limits} and preprocessed by {@code pre}, into {@code dst} at
   * {@code offset} ({@code pre.spec().tensorSize()} floats).
   *
   * @throws ImageRejectedException when it is not an image the decoder accepts within the limits
   */
  void preprocessInto(int i, Preprocessor pre, DecodeLimits limits, float[] dst, int offset) throws ImageRejectedException;
}
