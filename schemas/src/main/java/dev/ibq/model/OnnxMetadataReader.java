package dev.ibq.model;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the {@code metadata_props} of an ONNX model ({@code ModelProto} field 14, repeated
 * {@code StringStringEntryProto {key = 1; value = 2}}) straight from the protobuf wire format, without ONNX
 * Runtime or a protobuf library: the job's {@code main()} runs on clients that have neither.
 *
 * <p>Every other top-level field (the graph with its weights above all) is skipped as it streams past, so
 * the whole file is read once and never held in memory. Only wire types 0 (varint), 1 (64-bit), 2
 * (length-delimited) and 5 (32-bit) occur in {@code ModelProto}; anything else means the file is not an
 * ONNX model and is reported as such.
 */
public final class OnnxMetadataReader {
  static final int METADATA_PROPS = 14;
  private static final int KEY = 1;
  private static final int VALUE = 2;
  /** An entry larger than this is not metadata (the tokenizer config JSON is a few KB). */
  static final int MAX_ENTRY_BYTES = 16 * 1024 * 1024;

  private final InputStream in;
  private long position;

  private OnnxMetadataReader(InputStream in) {
    this.in = in;
  }

  /**
   * Reads {@code in} to its end and returns the metadata entries in file order.
   *
   * @throws IOException when the stream fails or does not hold a well-formed ONNX model
   */
  public static Map<String, String> read(InputStream in) throws IOException {
    return new OnnxMetadataReader(in).readModel();
  }

  private Map<String, String> readModel() throws IOException {
    Map<String, String> props = new LinkedHashMap<>();
    while (true) {
      long tag = readVarint(true);
      if (tag < 0) {
        return props;
      }
      int field = (int) (tag >>> 3);
      int wireType = (int) (tag & 7);
      if (field == METADATA_PROPS && wireType == 2) {
        long length = readVarint(false);
        if (length > MAX_ENTRY_BYTES) {
          throw malformed("a metadata entry of " + length + " bytes (at most " + MAX_ENTRY_BYTES + " expected)");
        }
        readEntry(readBytes((int) length), props);
      } else {
        skip(wireType, field);
      }
    }
  }

  private void readEntry(byte[] entry, Map<String, String> props) throws IOException {
    String key = null;
    String value = "";
    int i = 0;
    while (i < entry.length) {
      long tag = 0;
      int shift = 0;
      byte b;
      do {
        if (i >= entry.length || shift > 63) {
          throw malformed("a truncated metadata entry");
        }
        b = entry[i++];
        tag |= (long) (b & 0x7f) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
      if ((tag & 7) != 2) {
        throw malformed("a metadata entry field of wire type " + (tag & 7) + " (strings expected)");
      }
      long length = 0;
      shift = 0;
      do {
        if (i >= entry.length || shift > 63) {
          throw malformed("a truncated metadata entry");
        }
        b = entry[i++];
        length |= (long) (b & 0x7f) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
      if (length < 0 || length > entry.length - i) {
        throw malformed("a metadata string running past its entry");
      }
      String s = new String(entry, i, (int) length, StandardCharsets.UTF_8);
      i += (int) length;
      if ((tag >>> 3) == KEY) {
        key = s;
      } else if ((tag >>> 3) == VALUE) {
        value = s;
      }
    }
    if (key == null) {
      throw malformed("a metadata entry without a key");
    }
    props.put(key, value);
  }

  private void skip(int wireType, int field) throws IOException {
    switch (wireType) {
      case 0 -> readVarint(false);
      case 1 -> skipBytes(8);
      case 2 -> skipBytes(readVarint(false));
      case 5 -> skipBytes(4);
      default -> throw malformed("field " + field + " of wire type " + wireType);
    }
  }

  /** A varint; -1 at a clean end of the stream when {@code endAllowed}. */
  private long readVarint(boolean endAllowed) throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = in.read();
      if (b < 0) {
        if (endAllowed && shift == 0) {
          return -1;
        }
        throw new EOFException("The file ends inside a protobuf varint at byte " + position + ".");
      }
      position++;
      v |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw malformed("a varint longer than 10 bytes");
  }

  private byte[] readBytes(int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length < n) {
      throw new EOFException("The file ends " + (n - b.length) + " bytes short of a metadata entry.");
    }
    position += n;
    return b;
  }

  private void skipBytes(long n) throws IOException {
    if (n < 0) {
      throw malformed("a negative field length");
    }
    // read (not InputStream.skip) so that a digest stream around `in` sees every byte
    byte[] buf = new byte[64 * 1024];
    long left = n;
    while (left > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        throw new EOFException("The file ends " + left + " bytes short of a field that claims " + n + " bytes.");
      }
      left -= r;
    }
    position += n;
  }

  private IOException malformed(String what) {
    return new IOException("Not an ONNX model: " + what + " near byte " + position + ".");
  }
}
