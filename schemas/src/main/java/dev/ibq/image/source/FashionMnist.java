package dev.ibq.image.source;

import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST read from its gzip IDX files: 28x28 8-bit gray images (0 = black background) with
 * labels 0-9. Immutable once loaded; {@link #image(int)} gives each image as a
 * {@link BufferedImage#TYPE_BYTE_GRAY} image so it takes the same preprocessing path as a decoded
 * file.
 *
 * <p>Files: {@code train-images-idx3-ubyte.gz} (magic 0x803, 60000x28x28), {@code
 * train-labels-idx1-ubyte.gz} (magic 0x801, 60000), and {@code t10k-*} for the 10000 test images,
 * in {@link #defaultDir()}.
 */
public final class FashionMnist {

  /** Class names by label. */
  public static final List<String> CLASS_NAMES = List.of(
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  /** Where the Debian package {@code dataset-fashion-mnist} installs the files. */
  public static final Path INSTALL_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  /** Environment variable that overrides {@link #INSTALL_DIR}. */
  public static final String DIR_ENV = "IBQ_FASHION_MNIST";

  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;

  /** The two published splits. */
  public enum Split {
    TRAIN("train"),
    TEST("t10k");

    private final String filePrefix;

    Split(String filePrefix) {
      this.filePrefix = filePrefix;
    }

    public Path imagesFile(Path dir) {
      return dir.resolve(filePrefix + "-images-idx3-ubyte.gz");
    }

    public Path labelsFile(Path dir) {
      return dir.resolve(filePrefix + "-labels-idx1-ubyte.gz");
    }
  }

  private final Split split;
  private final int size;
  private final int rows;
  private final int cols;
  private final byte[] pixels; // (N, rows, cols)
  private final byte[] labels; // (N)

  private FashionMnist(Split split, int size, int rows, int cols, byte[] pixels, byte[] labels) {
    this.split = split;
    this.size = size;
    this.rows = rows;
    this.cols = cols;
    this.pixels = pixels;
    this.labels = labels;
  }

  /** {@code $IBQ_FASHION_MNIST} when set and not blank, else {@link #INSTALL_DIR}. */
  public static Path defaultDir() {
    String env = System.getenv(DIR_ENV);
    return env == null || env.isBlank() ? INSTALL_DIR : Path.of(env);
  }

  /** Loads {@code split} from {@link #defaultDir()}. */
  public static FashionMnist load(Split split) throws IOException {
    return load(defaultDir(), split);
  }

  /**
   * Loads {@code split} from {@code dir}, validating magic numbers, dimensions, counts, file length
   * and label range.
   *
   * @throws NoSuchFileException when a file is missing (the message says how to install it)
   * @throws IOException when a file is malformed
   */
  public static FashionMnist load(Path dir, Split split) throws IOException {
    Path imagesFile = split.imagesFile(dir);
    Path labelsFile = split.labelsFile(dir);
    for (Path file : List.of(imagesFile, labelsFile)) {
      if (!Files.isRegularFile(file)) {
        throw new NoSuchFileException(file.toString(), null,
            "Fashion-MNIST file is missing; install it with `apt-get install dataset-fashion-mnist` or set "
                + DIR_ENV + " to a folder holding the four *-ubyte.gz files");
      }
    }
    int n;
    int rows;
    int cols;
    byte[] pixels;
    try (DataInputStream in = open(imagesFile)) {
      int magic = in.readInt();
      if (magic != IMAGES_MAGIC) {
        throw new IOException(String.format("%s starts with magic 0x%08X; an IDX image file (unsigned bytes, 3 dims) starts with 0x%08X.",
            imagesFile, magic, IMAGES_MAGIC));
      }
      n = in.readInt();
      rows = in.readInt();
      cols = in.readInt();
      if (n <= 0 || rows <= 0 || cols <= 0 || (long) n * rows * cols > Integer.MAX_VALUE - 8) {
        throw new IOException(imagesFile + " claims " + n + " images of " + rows + "x" + cols
            + " pixels; expected positive dimensions whose product fits in an array.");
      }
      pixels = readExactly(in, n * rows * cols, imagesFile);
    }
    byte[] labels;
    try (DataInputStream in = open(labelsFile)) {
      int magic = in.readInt();
      if (magic != LABELS_MAGIC) {
        throw new IOException(String.format("%s starts with magic 0x%08X; an IDX label file (unsigned bytes, 1 dim) starts with 0x%08X.",
            labelsFile, magic, LABELS_MAGIC));
      }
      int count = in.readInt();
      if (count != n) {
        throw new IOException(labelsFile + " holds " + count + " labels but " + imagesFile + " holds " + n
            + " images; the two files must belong to the same split.");
      }
      labels = readExactly(in, n, labelsFile);
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= CLASS_NAMES.size()) {
        throw new IOException(labelsFile + " has label " + labels[i] + " at index " + i + "; labels must be 0-9.");
      }
    }
    return new FashionMnist(split, n, rows, cols, pixels, labels);
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream raw = Files.newInputStream(file);
    try {
      return new DataInputStream(new GZIPInputStream(raw, 1 << 16));
    } catch (IOException e) {
      raw.close();
      throw new IOException(file + " is not a gzip file (" + e.getMessage() + "); expected the gzip IDX file of Fashion-MNIST.", e);
    }
  }

  private static byte[] readExactly(DataInputStream in, int length, Path file) throws IOException {
    byte[] data = new byte[length];
    try {
      in.readFully(data);
    } catch (EOFException e) {
      throw new IOException(file + " ends before the " + length + " data bytes its header announces; the file is truncated.", e);
    }
    if (in.read() != -1) {
      throw new IOException(file + " has bytes after the " + length + " data bytes its header announces; the file is corrupt.");
    }
    return data;
  }

  public Split split() {
    return split;
  }

  /** Number of images. */
  public int size() {
    return size;
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  /** Label 0-9 of image {@code i}. */
  public int label(int i) {
    checkIndex(i);
    return labels[i];
  }

  /**
   * The id of image {@code i} of a split wherever the project names it (produce, encode, AR data):
   * {@code fmnist-<train|test>-<index, 5 digits>}, e.g. {@code fmnist-test-00042}.
   */
  public static String imageId(Split split, int i) {
    return String.format(Locale.ROOT, "fmnist-%s-%05d", split.name().toLowerCase(Locale.ROOT), i);
  }

  /** {@link #imageId(Split, int)} of image {@code i} of this split. */
  public String imageId(int i) {
    checkIndex(i);
    return imageId(split, i);
  }

  /** Class name of label {@code label}, e.g. 9 gives "Ankle boot". */
  public static String className(int label) {
    return CLASS_NAMES.get(label);
  }

  /** A copy of image {@code i}'s {@code rows * cols} pixels, row-major, unsigned (read with {@code & 0xff}). */
  public byte[] pixels(int i) {
    checkIndex(i);
    byte[] out = new byte[rows * cols];
    System.arraycopy(pixels, i * rows * cols, out, 0, out.length);
    return out;
  }

  /** Pixel {@code (row, col)} of image {@code i}, 0-255. */
  public int pixel(int i, int row, int col) {
    checkIndex(i);
    if (row < 0 || row >= rows || col < 0 || col >= cols) {
      throw new IndexOutOfBoundsException("Pixel (" + row + ", " + col + ") is outside the " + rows + "x" + cols + " image.");
    }
    return pixels[(i * rows + row) * cols + col] & 0xff;
  }

  /** Image {@code i} as a new 8-bit gray image (a copy; changing it does not change the data set). */
  public BufferedImage image(int i) {
    return grayImage(pixels(i), cols, rows);
  }

  /** Copies row-major 8-bit gray pixels into a new {@link BufferedImage#TYPE_BYTE_GRAY} image. */
  public static BufferedImage grayImage(byte[] pixels, int width, int height) {
    if (pixels.length != width * height) {
      throw new IllegalArgumentException("Gray raster has " + pixels.length + " bytes; a " + width + "x" + height
          + " image needs " + width * height + ".");
    }
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setDataElements(0, 0, width, height, pixels);
    return image;
  }

  private void checkIndex(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException("Image index " + i + " is outside the " + split + " split of " + size + " images.");
    }
  }
}
