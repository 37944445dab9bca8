package dev.ibq.image.source;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.ImageRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code folder:PATH}: the project's one image-folder walker, used by produce, encode and training alike.
 *
 * <ul>
 *   <li>Every regular file under the folder, at any depth, is listed; hidden files and folders (a name starting with
 *       '.') are left out. Nothing else is filtered: a file that is not an image is rejected later by the decoder, with
 *       its reason (counted by encode, dead-lettered by the job, skipped and logged by training), never dropped
 *       silently here.
 *   <li>Order: by the path relative to the folder, with {@code /} separators, compared as strings; the same on every
 *       platform and in every command.
 *   <li>Ids: that relative path ({@code cats/a.png}).
 *   <li>Labels: every non-hidden sub-folder of the folder is a class, labels are the indices of the sorted class names,
 *       and a file's label is its top-level sub-folder's; files directly in the folder have no label.
 * </ul>
 */
public final class FolderSource implements ImageSource {

  /** The registry kind. */
  public static final String KIND = "folder";

  private final Path root;
  private final List<String> classes;
  private final List<Path> files;
  private final List<String> ids;
  private final Integer[] labels;

  private FolderSource(Path root, List<String> classes, List<Path> files, List<String> ids, Integer[] labels) {
    this.root = root;
    this.classes = List.copyOf(classes);
    this.files = List.copyOf(files);
    this.ids = List.copyOf(ids);
    this.labels = labels;
  }

  /**
   * Lists {@code root}.
   *
   * @throws IllegalArgumentException when it is not a directory or holds no (non-hidden) files
   */
  public static FolderSource open(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("The image folder " + root.toAbsolutePath() + " does not exist or is not a directory.");
    }
    List<String> classes;
    try (Stream<Path> children = Files.list(root)) {
      classes = children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith(".")).sorted().toList();
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).filter(p -> !hidden(root, p))
          .sorted(Comparator.comparing(p -> relative(root, p))).toList();
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("The image folder " + root.toAbsolutePath() + " holds no files.");
    }
    List<String> ids = new ArrayList<>(files.size());
    Integer[] labels = new Integer[files.size()];
    for (int i = 0; i < files.size(); i++) {
      Path rel = root.relativize(files.get(i));
      ids.add(relative(root, files.get(i)));
      if (rel.getNameCount() > 1) {
        int label = java.util.Collections.binarySearch(classes, rel.getName(0).toString());
        labels[i] = label >= 0 ? label : null;
      }
    }
    return new FolderSource(root, classes, files, ids, labels);
  }

  /** The folder. */
  public Path root() {
    return root;
  }

  /** The file of image {@code i}. */
  public Path path(int i) {
    return files.get(i);
  }

  @Override
  public String name() {
    return KIND + ":" + root.toAbsolutePath().normalize();
  }

  @Override
  public int size() {
    return files.size();
  }

  @Override
  public String id(int i) {
    return ids.get(i);
  }

  @Override
  public Integer label(int i) {
    return labels[i];
  }

  @Override
  public List<String> classes() {
    return classes;
  }

  /** The file's bytes untouched, with attribute {@code class} when it has a label. */
  @Override
  public ImageRecord record(int i) {
    Integer label = labels[i];
    return EncodedFiles.record(files.get(i), ids.get(i), label, label == null ? Map.of() : Map.of("class", classes.get(label)));
  }

  @Override
  public void preprocessInto(int i, Preprocessor pre, DecodeLimits limits, float[] dst, int offset) throws ImageRejectedException {
    EncodedFiles.preprocessInto(files.get(i), pre, limits, dst, offset);
  }

  private static boolean hidden(Path root, Path file) {
    for (Path part : root.relativize(file)) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static String relative(Path root, Path file) {
    return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
  }
}
