package dev.ibq.image.source;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.ImageRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** {@code files:A,B,...}: these image files, in this order, unlabelled; ids are the paths as given. */
public final class FileListSource implements ImageSource {

  /** The registry kind. */
  public static final String KIND = "files";

  private final List<Path> files;

  /**
   * @throws IllegalArgumentException when the list is empty or a file does not exist or is not a regular file
   */
  public FileListSource(List<Path> files) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("The list of image files is empty; expected at least one file.");
    }
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        throw new IllegalArgumentException("The image file " + f.toAbsolutePath() + " does not exist or is not a regular file.");
      }
    }
    this.files = List.copyOf(files);
  }

  /** Opens a comma-separated list of paths. */
  public static FileListSource open(String list) {
    return new FileListSource(Arrays.stream(list.split(",")).filter(s -> !s.isBlank()).map(Path::of).toList());
  }

  @Override
  public String name() {
    return KIND + ":" + String.join(",", files.stream().map(Path::toString).toList());
  }

  /** Short even for a long list: kind, count and the hash of the ids. */
  @Override
  public String fingerprint() {
    return KIND + ":" + files.size() + ":" + Integer.toHexString(files.stream().map(Path::toString).toList().hashCode());
  }

  @Override
  public int size() {
    return files.size();
  }

  @Override
  public String id(int i) {
    return files.get(i).toString();
  }

  @Override
  public Integer label(int i) {
    return null;
  }

  @Override
  public List<String> classes() {
    return List.of();
  }

  @Override
  public ImageRecord record(int i) {
    return EncodedFiles.record(files.get(i), id(i), null, Map.of());
  }

  @Override
  public void preprocessInto(int i, Preprocessor pre, DecodeLimits limits, float[] dst, int offset) throws ImageRejectedException {
    EncodedFiles.preprocessInto(files.get(i), pre, limits, dst, offset);
  }
}
