package dev.ibq.training.tokenizer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The reader of the earlier checkpoint layout's named-tensor files ({@code *.weights}), kept so that
 * {@link TokenizerCheckpoint#convertLegacy} can rewrite such a checkpoint as safetensors; nothing writes this format
 * any more.
 *
 * <p>Format (big-endian framing, little-endian data): magic {@code "IBQW"}, version int 1, entry count
 * int; per entry: key (modified UTF-8), data type name (e.g. {@code float32}), rank int, dims long each,
 * byte length long, raw bytes (little-endian, row-major).
 */
final class WeightFile {

  private static final int MAGIC = 0x49425157; // "IBQW"
  private static final int VERSION = 1;

  private WeightFile() {}

  /** Reads every tensor onto {@code manager}, in file order. */
  static LinkedHashMap<String, NDArray> read(Path file, NDManager manager) {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      int magic = in.readInt();
      if (magic != MAGIC) {
        throw new IllegalArgumentException(file + " is not an IBQ weight file (it does not start with 'IBQW').");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IllegalArgumentException(file + " is a weight file of version " + version + "; this code reads version " + VERSION + ".");
      }
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        String key = in.readUTF();
        DataType type = DataType.valueOf(in.readUTF().toUpperCase());
        int rank = in.readInt();
        long[] dims = new long[rank];
        for (int d = 0; d < rank; d++) {
          dims[d] = in.readLong();
        }
        long length = in.readLong();
        Shape shape = new Shape(dims);
        if (length != shape.size() * type.getNumOfBytes()) {
          throw new IllegalArgumentException(
              file + ": tensor '" + key + "' declares " + length + " bytes, but " + shape + " of " + type + " needs " + shape.size() * type.getNumOfBytes() + ".");
        }
        byte[] bytes = new byte[(int) length];
        in.readFully(bytes);
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length).order(ByteOrder.nativeOrder());
        buffer.put(bytes).flip();
        out.put(key, manager.create(buffer, shape, type));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read weight file " + file, e);
    }
    return out;
  }
}
