package dev.ibq.training.export;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The images a batch encode reads, in a FIXED order (the order is what makes an interrupted encode
 * resumable: the i-th image is always the same image). Preprocessing is the shared {@link Preprocessor}.
 */
public interface ImageInputs {

  /** Number of images. */
  int size();

  /** A stable description of the input set (kind, location, count); a resume must see the same one. */
  String fingerprint();

  /** Id of image i (file path relative to the folder, the path as given, or {@code fmnist-test-00042}). */
  String id(int i);

  /** Class label of image i, or null. */
  Integer label(int i);

  /**
   * Writes image i, preprocessed, into {@code dst} at {@code offset}.
   *
   * @throws ImageRejectedException when the file cannot be decoded as an image within the limits
   */
  void preprocessInto(int i, Preprocessor pre, float[] dst, int offset) throws ImageRejectedException;

  /** A Fashion-MNIST split from the installed IDX files. */
  static ImageInputs fashionMnist(FashionMnist.Split split) throws IOException {
    FashionMnist data = FashionMnist.load(split);
    return new ImageInputs() {
      @Override
      public int size() {
        return data.size();
      }

      @Override
      public String fingerprint() {
        return "fashion-mnist:" + split + ":" + data.size();
      }

      @Override
      public String id(int i) {
        return data.imageId(i);
      }

      @Override
      public Integer label(int i) {
        return data.label(i);
      }

      @Override
      public void preprocessInto(int i, Preprocessor pre, float[] dst, int offset) {
        pre.applyInto(data.image(i), dst, offset);
      }
    };
  }

  /** Every regular file under {@code dir} (recursively, sorted by relative path, hidden files skipped). */
  static ImageInputs folder(Path dir) throws IOException {
    return folder(dir, DecodeLimits.defaults());
  }

  /** Like {@link #folder(Path)}, decoding within {@code limits}. */
  static ImageInputs folder(Path dir, DecodeLimits limits) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("The image folder " + dir.toAbsolutePath() + " does not exist or is not a directory.");
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files =
          walk.filter(Files::isRegularFile)
              .filter(p -> !dir.relativize(p).toString().startsWith(".") && !p.getFileName().toString().startsWith("."))
              .sorted()
              .toList();
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("The image folder " + dir.toAbsolutePath() + " holds no files.");
    }
    return files(files, dir, limits);
  }

  /** The given files, in the given order; ids are the paths as given (relative to {@code base} if not null). */
  static ImageInputs files(List<Path> files, Path base) {
    return files(files, base, DecodeLimits.defaults());
  }

  /**
   * Like {@link #files(List, Path)}, decoding within {@code limits}; a file larger than
   * {@link DecodeLimits#maxEncodedBytes} is refused (TOO_LARGE) from its size, before it is read.
   */
  static ImageInputs files(List<Path> files, Path base, DecodeLimits limits) {
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        throw new IllegalArgumentException("The image file " + f.toAbsolutePath() + " does not exist or is not a regular file.");
      }
    }
    List<String> ids = files.stream().map(f -> base == null ? f.toString() : base.relativize(f).toString()).toList();
    String where = base == null ? "files" : "folder:" + base.toAbsolutePath().normalize();
    int hash = ids.hashCode();
    return new ImageInputs() {
      @Override
      public int size() {
        return files.size();
      }

      @Override
      public String fingerprint() {
        return where + ":" + files.size() + ":" + Integer.toHexString(hash);
      }

      @Override
      public String id(int i) {
        return ids.get(i);
      }

      @Override
      public Integer label(int i) {
        return null;
      }

      @Override
      public void preprocessInto(int i, Preprocessor pre, float[] dst, int offset) throws ImageRejectedException {
        byte[] bytes;
        try {
          long size = Files.size(files.get(i));
          if (size > limits.maxEncodedBytes()) {
            throw new ImageRejectedException(ImageRejectedException.Reason.TOO_LARGE, "The file " + files.get(i) + " is "
                + size + " bytes; the limit is " + limits.maxEncodedBytes() + " bytes (--max-encoded-bytes), so it was"
                + " not read.");
          }
          bytes = Files.readAllBytes(files.get(i));
        } catch (IOException e) {
          throw new UncheckedIOException("Could not read the image file " + files.get(i) + ": " + e.getMessage(), e);
        }
        float[] chw = pre.decodeAndApply(bytes, limits);
        System.arraycopy(chw, 0, dst, offset, chw.length);
      }
    };
  }
}
