package dev.ibq.training.data;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.image.source.FashionMnistSource;
import dev.ibq.image.source.FolderSource;
import dev.ibq.image.source.ImageSources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The closed registry of training data sets a config can name in its {@code dataset} key, with the names of the
 * project's image-source registry ({@link ImageSources}); training needs a train and a test split of each:
 *
 * <ul>
 *   <li>{@value #FASHION_MNIST}: the installed Fashion-MNIST (60k train / 10k test);
 *   <li>{@code folder:PATH}: the user's labelled images, {@code PATH/<class>/...} or the ImageNet layout
 *       {@code PATH/train/<class>/} + {@code PATH/val/<class>/} (see {@link FolderImages});
 *   <li>{@value #IMAGENET}: named by the paper's preset; ImageNet is read as a folder: pass
 *       {@code --set dataset=folder:/path/to/imagenet} with its train/ and val/ sub-folders.
 * </ul>
 */
public final class TrainingData {

  /** Both splits of {@code fashion-mnist:train} and {@code fashion-mnist:test} of {@link ImageSources}. */
  public static final String FASHION_MNIST = FashionMnistSource.KIND;
  public static final String IMAGENET = "imagenet";
  /** {@code folder:PATH}, the name {@link ImageSources} gives the same folder (listed by {@link FolderSource}). */
  public static final String FOLDER_PREFIX = FolderSource.KIND + ":";

  private TrainingData() {}

  /** Train and test images of a data set. */
  public record Splits(LabelledImages train, LabelledImages test) {}

  /** Whether {@code dataset} is a name this registry knows (validation of configs). */
  public static boolean isKnown(String dataset) {
    return FASHION_MNIST.equals(dataset) || IMAGENET.equals(dataset)
        || (dataset != null && dataset.startsWith(FOLDER_PREFIX) && dataset.length() > FOLDER_PREFIX.length());
  }

  /** What a config may put in {@code dataset}, for error messages. */
  public static String expected() {
    return "'" + FASHION_MNIST + "', 'folder:/path/to/images' (one sub-folder per class, or train/ and val/ as ImageNet) or '"
        + IMAGENET + "'";
  }

  /**
   * Opens the data set {@code dataset} for a model whose inputs are made by {@code spec}.
   *
   * @param fashionMnistDir where the Fashion-MNIST files are (used only by {@value #FASHION_MNIST})
   */
  public static Splits open(String dataset, PreprocessingSpec spec, Path fashionMnistDir) {
    if (FASHION_MNIST.equals(dataset)) {
      try {
        return new Splits(
            new FashionMnistImages(FashionMnist.load(fashionMnistDir, FashionMnist.Split.TRAIN)),
            new FashionMnistImages(FashionMnist.load(fashionMnistDir, FashionMnist.Split.TEST)));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read Fashion-MNIST from " + fashionMnistDir + ": " + e.getMessage(), e);
      }
    }
    if (dataset != null && dataset.startsWith(FOLDER_PREFIX)) {
      Path root = Path.of(dataset.substring(FOLDER_PREFIX.length()));
      FolderImages.Splits s = FolderImages.open(
          root, spec, FolderImages.DEFAULT_HOLD_OUT, DecodeLimits.defaults(), FolderImages.DEFAULT_MEMORY_BUDGET_BYTES);
      return new Splits(s.train(), s.test());
    }
    if (IMAGENET.equals(dataset)) {
      throw new IllegalArgumentException(
          "The dataset 'imagenet' is read from a folder in the ImageNet layout: pass --set dataset=folder:/path/to/imagenet"
              + " (with train/<class>/ and val/<class>/ sub-folders).");
    }
    throw new IllegalArgumentException("Unknown dataset '" + dataset + "'; expected " + expected() + ".");
  }
}
