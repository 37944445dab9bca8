package dev.ibq.image.source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The closed registry of image sources, by the names every command uses ({@code --source NAME} of
 * {@code ./ibq produce} and {@code ./ibq encode}; the {@code dataset} key of training takes the same kinds):
 *
 * <ul>
 *   <li>{@code fashion-mnist:test}, {@code fashion-mnist:train}: the installed Fashion-MNIST IDX files
 *       ({@link FashionMnistSource});
 *   <li>{@code folder:PATH}: every file under PATH, recursively, labelled by its class sub-folder
 *       ({@link FolderSource}, the project's one folder walker);
 *   <li>{@code files:A,B,...}: these files, in this order, unlabelled ({@link FileListSource}).
 * </ul>
 *
 * <p>Adding a source: one class implementing {@link ImageSource} and one line in {@link #KINDS}.
 */
public final class ImageSources {

  private ImageSources() {}

  /** Opens the part of a name after its kind and colon. */
  @FunctionalInterface
  private interface Opener {
    ImageSource open(String argument) throws IOException;
  }

  private static final Map<String, Opener> KINDS = new LinkedHashMap<>();

  static {
    KINDS.put(FashionMnistSource.KIND, FashionMnistSource::open);
    KINDS.put(FolderSource.KIND, arg -> FolderSource.open(Path.of(arg)));
    KINDS.put(FileListSource.KIND, FileListSource::open);
  }

  /** The kinds a name may start with, for help texts and errors. */
  public static List<String> kinds() {
    return List.copyOf(KINDS.keySet());
  }

  /** What a name looks like, for error messages. */
  public static String expected() {
    return "fashion-mnist:test, fashion-mnist:train, folder:PATH or files:A,B,...";
  }

  /**
   * Opens {@code name}. Images are decoded later, within the limits given to {@link ImageSource#preprocessInto}.
   *
   * @throws IllegalArgumentException when the name is not one of the registry's kinds or its argument is wrong
   * @throws UncheckedIOException when the source cannot be read
   */
  public static ImageSource open(String name) {
    int colon = name == null ? -1 : name.indexOf(':');
    Opener opener = colon <= 0 ? null : KINDS.get(name.substring(0, colon));
    if (opener == null || colon == name.length() - 1) {
      throw new IllegalArgumentException("The image source '" + name + "' is not one this project reads; expected " + expected() + ".");
    }
    try {
      return opener.open(name.substring(colon + 1));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the image source " + name + ": " + e.getMessage(), e);
    }
  }
}
