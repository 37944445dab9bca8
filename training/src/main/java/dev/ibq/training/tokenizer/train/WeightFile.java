package dev.ibq.training.tokenizer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A named-tensor file ({@code *.weights}): the state dicts of a checkpoint under their reference keys.
 *
 * <p>Format (big-endian framing, little-endian data): magic {@code "IBQW"}, version int 1, entry count
 * int; per entry: key (modified UTF-8), data type name (e.g. {@code float32}), rank int, dims long each,
 * byte length long, raw bytes (little-endian, row-major). Written to a temporary file and moved into
 * place, so a crash never leaves a half-written file under the final name.
 */
public final class WeightFile {

  private static final int MAGIC = 0x49425157; // "IBQW"
  private static final int VERSION = 1;

  private WeightFile() {}

  /** Writes the tensors in map order. */
  public static void write(Path file, Map<String, NDArray> tensors) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(tensors.size());
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
          NDArray array = e.getValue();
          out.writeUTF(e.getKey());
          out.writeUTF(array.getDataType().name().toLowerCase());
          long[] dims = array.getShape().getShape();
          out.writeInt(dims.length);
          for (long d : dims) {
            out.writeLong(d);
          }
          ByteBuffer data = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
          byte[] bytes = new byte[data.remaining()];
          data.get(bytes);
          out.writeLong(bytes.length);
          out.write(bytes);
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write weight file " + file, e);
    }
  }

  /** Reads every tensor onto {@code manager}, in file order. */
  public static LinkedHashMap<String, NDArray> read(Path file, NDManager manager) {
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
