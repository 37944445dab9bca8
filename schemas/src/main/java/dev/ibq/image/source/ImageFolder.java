package dev.ibq.image.source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A labelled image folder: every sub-folder of the root is a class, labels are the indices of the
 * sorted sub-folder names, and every supported image file below a class folder (at any depth) is a
 * sample. The listing is deterministic: classes sorted by name, files by their path relative to
 * the root with {@code /} separators. Hidden files and folders (names starting with '.') and files
 * directly in the root are ignored. Bytes are read lazily, one file at a time.
 */
public final class ImageFolder {

  private static final Logger LOG = LoggerFactory.getLogger(ImageFolder.class);

  /** Lower-case file extensions listed as images. */
  public static final Set<String> EXTENSIONS =
      Set.of("png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff", "webp", "pnm", "pgm", "ppm", "pbm", "pam");

  /** One listed file. */
  public record Entry(Path path, int label) {
    /** The file's bytes. */
    public byte[] read() throws IOException {
      return Files.readAllBytes(path);
    }
  }

  /** One file with its bytes. */
  public record Sample(Path path, int label, byte[] bytes) {}

  private final Path root;
  private final List<String> classes;
  private final List<Entry> entries;

  private ImageFolder(Path root, List<String> classes, List<Entry> entries) {
    this.root = root;
    this.classes = List.copyOf(classes);
    this.entries = List.copyOf(entries);
  }

  /**
   * Lists {@code root}.
   *
   * @throws NotDirectoryException when {@code root} is not a folder
   * @throws IOException when it has no class sub-folders or cannot be listed
   */
  public static ImageFolder scan(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new NotDirectoryException(root + " (an image folder must be a directory whose sub-folders are the classes)");
    }
    List<Path> classDirs;
    try (Stream<Path> children = Files.list(root)) {
      classDirs = children.filter(Files::isDirectory).filter(p -> !hidden(p))
          .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    }
    if (classDirs.isEmpty()) {
      throw new IOException("Image folder " + root + " has no class sub-folders; expected one sub-folder per class holding its images.");
    }
    List<String> classes = new ArrayList<>();
    List<Entry> entries = new ArrayList<>();
    for (int label = 0; label < classDirs.size(); label++) {
      Path dir = classDirs.get(label);
      classes.add(dir.getFileName().toString());
      List<Path> files;
      try (Stream<Path> walk = Files.walk(dir)) {
        files = walk.filter(Files::isRegularFile)
            .filter(p -> !hiddenBelow(root, p))
            .filter(ImageFolder::isImageName)
            .sorted(Comparator.comparing(p -> relative(root, p)))
            .toList();
      }
      if (files.isEmpty()) {
        LOG.warn("Class folder {} holds no image files; its label {} has no samples.", dir, label);
      }
      for (Path file : files) {
        entries.add(new Entry(file, label));
      }
    }
    return new ImageFolder(root, classes, entries);
  }

  public Path root() {
    return root;
  }

  /** Class names; the label of a class is its index here. */
  public List<String> classes() {
    return classes;
  }

  /** Every listed file, in the deterministic order. */
  public List<Entry> entries() {
    return entries;
  }

  public int size() {
    return entries.size();
  }

  /**
   * The samples in listing order, each file read when the stream reaches it.
   * A read failure surfaces as an {@link UncheckedIOException} naming the file.
   */
  public Stream<Sample> samples() {
    return entries.stream().map(e -> {
      try {
        return new Sample(e.path(), e.label(), e.read());
      } catch (IOException ex) {
        throw new UncheckedIOException("Image file " + e.path() + " could not be read.", ex);
      }
    });
  }

  /** True when {@code file}'s extension is one of {@link #EXTENSIONS}. */
  public static boolean isImageName(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  private static boolean hidden(Path p) {
    return p.getFileName().toString().startsWith(".");
  }

  private static boolean hiddenBelow(Path root, Path file) {
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
