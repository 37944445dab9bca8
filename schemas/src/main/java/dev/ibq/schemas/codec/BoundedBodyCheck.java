package dev.ibq.schemas.codec;

import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Walks an Avro binary body under its writer schema without allocating anything for its values, and
 * fails unless every length and count it declares fits inside the bytes that are actually there. Run
 * before the real read, it ties Avro's length limits to the record's own size: a 15-byte record that
 * claims a 2 GiB string is refused here, instead of making the datum reader allocate 2 GiB first.
 *
 * <p>NOTE: Avro 1.12 has JVM-wide limits instead ({@code org.apache.avro.limits.string.maxLength},
 * {@code .bytes.maxLength}, {@code .collectionItems.maxLength}: system properties read once when
 * {@code SystemLimitException} loads), which cannot follow each record's size; and
 * {@code GenericDatumReader.skip} does not reject negative lengths, which move its position backwards
 * (a crafted map can loop for 2^63 items). Hence this walker.
 *
 * <p>Rules: a string or bytes length must be in [0, remaining]; an array or map block count N (or
 * |N| for the negative-count form, whose byte size must also be in [0, remaining]) must satisfy
 * {@code N * max(1, minimum item size) <= remaining}; union branch and enum indexes must be in range;
 * varints are at most 10 bytes; nesting deeper than {@value #MAX_DEPTH} is refused.
 */
final class BoundedBodyCheck {

  static final int MAX_DEPTH = 64;

  private static final Schema STRING = Schema.create(Schema.Type.STRING);

  /** Thrown with a sentence saying which declared length does not fit. */
  static final class OutOfBounds extends Exception {
    private static final long serialVersionUID = 1L;

    OutOfBounds(String message) {
      super(message);
    }
  }

  private final byte[] buf;
  private final int end;
  private int pos;
  private final Map<Schema, Long> minSizes = new IdentityHashMap<>();

  private BoundedBodyCheck(byte[] buf, int offset, int length) {
    this.buf = buf;
    this.pos = offset;
    this.end = offset + length;
  }

  /**
   * Checks the body at {@code buf[offset, offset + length)} written with {@code writer}; the body must end
   * exactly at the end of the range.
   *
   * @throws OutOfBounds when a declared length, count or index does not fit
   */
  static void check(Schema writer, byte[] buf, int offset, int length) throws OutOfBounds {
    BoundedBodyCheck c = new BoundedBodyCheck(buf, offset, length);
    c.walk(writer, 0);
    if (c.pos != c.end) {
      throw new OutOfBounds((c.end - c.pos) + " bytes are left over after the record");
    }
  }

  private int remaining() {
    return end - pos;
  }

  private void walk(Schema s, int depth) throws OutOfBounds {
    if (depth > MAX_DEPTH) {
      throw new OutOfBounds("the record nests deeper than " + MAX_DEPTH + " levels");
    }
    switch (s.getType()) {
      case NULL -> { }
      case BOOLEAN -> take(1, "a boolean");
      case INT, LONG -> readVarLong();
      case FLOAT -> take(4, "a float");
      case DOUBLE -> take(8, "a double");
      case STRING, BYTES -> {
        long n = readVarLong();
        if (n < 0 || n > remaining()) {
          throw new OutOfBounds("a " + s.getType().getName() + " claims " + n + " bytes where " + remaining()
              + " remain in the record");
        }
        pos += (int) n;
      }
      case FIXED -> take(s.getFixedSize(), "a fixed(" + s.getFixedSize() + ")");
      case ENUM -> {
        long i = readVarLong();
        if (i < 0 || i >= s.getEnumSymbols().size()) {
          throw new OutOfBounds("enum " + s.getName() + " index " + i + " is outside its " + s.getEnumSymbols().size()
              + " symbols");
        }
      }
      case UNION -> {
        long i = readVarLong();
        if (i < 0 || i >= s.getTypes().size()) {
          throw new OutOfBounds("union branch " + i + " is outside its " + s.getTypes().size() + " branches");
        }
        walk(s.getTypes().get((int) i), depth + 1);
      }
      case RECORD -> {
        for (Schema.Field f : s.getFields()) {
          walk(f.schema(), depth + 1);
        }
      }
      case ARRAY -> blocks(s.getElementType(), false, depth);
      case MAP -> blocks(s.getValueType(), true, depth);
      default -> throw new OutOfBounds("the schema type " + s.getType() + " is not supported");
    }
  }

  private void blocks(Schema item, boolean map, int depth) throws OutOfBounds {
    long perItem = Math.max(1, minSize(item, 0) + (map ? 1 : 0)); // a map key is a string: at least 1 byte
    while (true) {
      long count = readVarLong();
      if (count == 0) {
        return;
      }
      if (count < 0) {
        if (count == Long.MIN_VALUE) {
          throw new OutOfBounds("a block count of " + count + " is out of range");
        }
        count = -count;
        long size = readVarLong();
        if (size < 0 || size > remaining()) {
          throw new OutOfBounds("a block claims " + size + " bytes where " + remaining() + " remain in the record");
        }
      }
      if (count > remaining() / perItem) {
        throw new OutOfBounds("a block claims " + count + " items of at least " + perItem + " bytes where " + remaining()
            + " bytes remain in the record");
      }
      for (long i = 0; i < count; i++) {
        if (map) {
          walk(STRING, depth + 1);
        }
        walk(item, depth + 1);
      }
    }
  }

  /** The fewest bytes a value of {@code s} can take. */
  private long minSize(Schema s, int depth) throws OutOfBounds {
    if (depth > MAX_DEPTH) {
      throw new OutOfBounds("the schema nests deeper than " + MAX_DEPTH + " levels");
    }
    Long known = minSizes.get(s);
    if (known != null) {
      return known;
    }
    long m = switch (s.getType()) {
      case NULL -> 0;
      case FLOAT -> 4;
      case DOUBLE -> 8;
      case FIXED -> s.getFixedSize();
      case RECORD -> {
        long sum = 0;
        for (Schema.Field f : s.getFields()) {
          sum += minSize(f.schema(), depth + 1);
        }
        yield sum;
      }
      default -> 1; // boolean, varints, lengths, indexes, block terminators
    };
    minSizes.put(s, m);
    return m;
  }

  private void take(int n, String what) throws OutOfBounds {
    if (n > remaining()) {
      throw new OutOfBounds(what + " needs " + n + " bytes where " + remaining() + " remain in the record");
    }
    pos += n;
  }

  /** A zig-zag varint, as Avro writes int and long. */
  private long readVarLong() throws OutOfBounds {
    long raw = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos >= end) {
        throw new OutOfBounds("the record ends inside a number");
      }
      int b = buf[pos++] & 0xff;
      raw |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    throw new OutOfBounds("a number is longer than 10 bytes");
  }
}
