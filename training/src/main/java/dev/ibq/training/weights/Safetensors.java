package dev.ibq.training.weights;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ibq.training.io.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * {@code {name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {str: str}}}, then
 * the tensors' raw little-endian bytes, offsets relative to the end of the header. No code runs on reading, which
 * is why this project stores its weights in it and why a torch checkpoint can be converted to it first.
 *
 * <p>Reading maps each tensor's bytes from the file (no copy); every inconsistency (a header longer than the file,
 * offsets outside the data, a byte count that does not match dtype and shape) is a {@link WeightFileException}
 * that names the tensor.
 */
public final class Safetensors {

  /** The largest header accepted (the format's own limit). */
  static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private static final String METADATA_KEY = "__metadata__";

  private Safetensors() {}

  /**
   * A file's tensors, in header order, and its {@code __metadata__} (empty when absent).
   *
   * @param tensors name -> tensor
   * @param metadata string -> string
   */
  public record Contents(Map<String, TensorData> tensors, Map<String, String> metadata) {
    public Contents {
      tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
      metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }
  }

  /** Reads a safetensors file. */
  public static Contents read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw new WeightFileException(
            file + " is " + size + " bytes long; a safetensors file starts with an 8-byte header length (truncated or not a safetensors file?).");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0);
      long headerLength = lenBuf.getLong(0);
      if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) {
        throw new WeightFileException(
            file + " declares a header of " + headerLength + " bytes; a safetensors header is 1 byte to 100 MB (is this a safetensors file?).");
      }
      if (8 + headerLength > size) {
        throw new WeightFileException(
            file + " declares a " + headerLength + "-byte header but holds only " + (size - 8)
                + " bytes after the length; the file is truncated (download or copy it again).");
      }
      ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLength);
      readFully(ch, headerBuf, 8);
      String headerText = new String(headerBuf.array(), StandardCharsets.UTF_8);
      JsonNode header;
      try {
        header = Json.MAPPER.readTree(headerText);
      } catch (JsonProcessingException e) {
        throw new WeightFileException(file + " has a header that is not valid JSON (" + e.getOriginalMessage() + "); is this a safetensors file?", e);
      }
      if (header == null || !header.isObject()) {
        throw new WeightFileException(file + " has a header that is not a JSON object; is this a safetensors file?");
      }
      long dataStart = 8 + headerLength;
      long dataLength = size - dataStart;
      Map<String, TensorData> tensors = new LinkedHashMap<>();
      Map<String, String> metadata = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : header.properties()) {
        String name = e.getKey();
        if (METADATA_KEY.equals(name)) {
          readMetadata(file, e.getValue(), metadata);
          continue;
        }
        tensors.put(name, readTensor(file, ch, name, e.getValue(), dataStart, dataLength));
      }
      return new Contents(tensors, metadata);
    }
  }

  private static void readMetadata(Path file, JsonNode value, Map<String, String> out) throws WeightFileException {
    if (!value.isObject()) {
      throw new WeightFileException(file + " has a __metadata__ entry that is not a JSON object of strings.");
    }
    for (Map.Entry<String, JsonNode> m : value.properties()) {
      if (!m.getValue().isTextual()) {
        throw new WeightFileException(file + " has the __metadata__ key '" + m.getKey() + "' with a non-string value; safetensors metadata maps strings to strings.");
      }
      out.put(m.getKey(), m.getValue().textValue());
    }
  }

  private static TensorData readTensor(Path file, FileChannel ch, String name, JsonNode o, long dataStart, long dataLength)
      throws IOException {
    String where = file + ": tensor '" + name + "'";
    if (!o.isObject()) {
      throw new WeightFileException(where + " is not described by a JSON object with dtype, shape and data_offsets.");
    }
    if (!o.has("dtype") || !o.has("shape") || !o.has("data_offsets")) {
      throw new WeightFileException(where + " lacks one of dtype, shape, data_offsets; its entry is " + o + ".");
    }
    DType dtype;
    try {
      dtype = DType.ofSafetensors(o.get("dtype").asText());
    } catch (IllegalArgumentException e) {
      throw new WeightFileException(where + ": " + e.getMessage(), e);
    }
    long[] shape = longs(where, "shape", o.get("shape"));
    long[] offsets = longs(where, "data_offsets", o.get("data_offsets"));
    if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < offsets[0]) {
      throw new WeightFileException(where + " has data_offsets " + Arrays.toString(offsets) + "; expected [begin, end] with 0 <= begin <= end.");
    }
    long expectedBytes;
    try {
      expectedBytes = Math.multiplyExact(TensorData.numel(shape), dtype.bytes());
    } catch (ArithmeticException | IllegalArgumentException e) {
      throw new WeightFileException(where + " has the impossible shape " + Arrays.toString(shape) + ".", e);
    }
    if (offsets[1] - offsets[0] != expectedBytes) {
      throw new WeightFileException(
          where + " spans " + (offsets[1] - offsets[0]) + " bytes but a " + dtype + " tensor of shape " + Arrays.toString(shape)
              + " needs " + expectedBytes + "; the header is inconsistent.");
    }
    if (offsets[1] > dataLength) {
      throw new WeightFileException(
          where + " ends at data byte " + offsets[1] + " but the file holds only " + dataLength
              + " data bytes; the file is truncated (download or copy it again).");
    }
    if (expectedBytes > Integer.MAX_VALUE) {
      throw new WeightFileException(where + " is " + expectedBytes + " bytes; tensors over 2 GiB are not supported.");
    }
    ByteBuffer bytes = expectedBytes == 0
        ? ByteBuffer.allocate(0)
        : ch.map(FileChannel.MapMode.READ_ONLY, dataStart + offsets[0], expectedBytes);
    return new TensorData(dtype, shape, bytes);
  }

  private static long[] longs(String where, String field, JsonNode value) throws WeightFileException {
    if (!value.isArray()) {
      throw new WeightFileException(where + " has " + field + " " + value + "; expected a JSON array of integers.");
    }
    long[] out = new long[value.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode n = value.get(i);
      if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
        throw new WeightFileException(where + " has " + field + " " + value + "; expected non-negative integers.");
      }
      out[i] = n.longValue();
    }
    return out;
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new WeightFileException("Unexpected end of file at byte " + pos + "; the file is truncated.");
      }
      pos += n;
    }
  }

  /**
   * Writes {@code tensors} (in the given order) and {@code metadata} to {@code file}, atomically (a temporary file
   * beside it, then a rename). The header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
   */
  public static void write(Path file, Map<String, TensorData> tensors, Map<String, String> metadata) throws IOException {
    ObjectNode header = Json.MAPPER.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = header.putObject(METADATA_KEY);
      new TreeMap<>(metadata).forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
      if (METADATA_KEY.equals(e.getKey())) {
        throw new IllegalArgumentException("A tensor cannot be named " + METADATA_KEY + "; that key holds the file's metadata.");
      }
      TensorData t = e.getValue();
      ObjectNode o = header.putObject(e.getKey());
      o.put("dtype", t.dtype().name());
      ArrayNode shape = o.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      long bytes = t.data().remaining();
      o.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded);
    head.put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      writeFully(ch, head);
      for (TensorData t : tensors.values()) {
        writeFully(ch, t.data().duplicate());
      }
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Writes a DJL state dict (for example {@code TokenizerModule.stateDict()}: reference keys such as
   * {@code encoder.down.0.block.1.conv2.weight}) as safetensors, so the reference PyTorch module loads it with
   * {@code load_state_dict(..., strict=True)}. Float32 and int64 arrays are written as F32 / I64; other types are
   * an error naming the key.
   */
  public static void writeStateDict(Path file, Map<String, NDArray> stateDict, Map<String, String> metadata) throws IOException {
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : stateDict.entrySet()) {
      NDArray a = e.getValue();
      long[] shape = a.getShape().getShape();
      switch (a.getDataType()) {
        case FLOAT32 -> tensors.put(e.getKey(), TensorData.ofFloats(shape, a.toFloatArray()));
        case INT64 -> tensors.put(e.getKey(), TensorData.ofLongs(shape, a.toLongArray()));
        default -> throw new IllegalArgumentException(
            "The state-dict entry '" + e.getKey() + "' is " + a.getDataType() + "; writeStateDict writes float32 and int64 only.");
      }
    }
    write(file, tensors, metadata);
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }
}
