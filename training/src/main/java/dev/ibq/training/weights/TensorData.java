package dev.ibq.training.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense tensor as stored on disk: element type, shape and the row-major (C order) little-endian bytes. The
 * buffer is a read-only view; {@link #toFloatArray()} converts any floating type (F64, F32, F16, BF16) to float32.
 *
 * @param dtype element type
 * @param shape dimensions, outermost first; empty for a scalar
 * @param data exactly {@code numel * dtype.bytes()} bytes, little-endian
 */
public record TensorData(DType dtype, long[] shape, ByteBuffer data) {

  public TensorData {
    shape = shape.clone();
    long n = numel(shape);
    if (data.remaining() != n * dtype.bytes()) {
      throw new IllegalArgumentException(
          "A " + dtype + " tensor of shape " + Arrays.toString(shape) + " needs " + n * dtype.bytes() + " bytes; got "
              + data.remaining() + ".");
    }
    data = data.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** A float32 tensor over a copy of {@code values}. */
  public static TensorData ofFloats(long[] shape, float[] values) {
    ByteBuffer b = buffer(shape, values.length, DType.F32);
    b.asFloatBuffer().put(values);
    return new TensorData(DType.F32, shape, b);
  }

  /** An int32 tensor over a copy of {@code values}. */
  public static TensorData ofInts(long[] shape, int[] values) {
    ByteBuffer b = buffer(shape, values.length, DType.I32);
    b.asIntBuffer().put(values);
    return new TensorData(DType.I32, shape, b);
  }

  /** An int64 tensor over a copy of {@code values}. */
  public static TensorData ofLongs(long[] shape, long[] values) {
    ByteBuffer b = buffer(shape, values.length, DType.I64);
    b.asLongBuffer().put(values);
    return new TensorData(DType.I64, shape, b);
  }

  /** A little-endian buffer for {@code count} values of {@code dtype}, which must be what {@code shape} holds. */
  private static ByteBuffer buffer(long[] shape, int count, DType dtype) {
    if (numel(shape) != count) {
      throw new IllegalArgumentException(
          "Shape " + Arrays.toString(shape) + " holds " + numel(shape) + " values; got " + count + ".");
    }
    return ByteBuffer.allocate(count * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements (1 for a scalar). */
  public long numel() {
    return numel(shape);
  }

  static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("Shape " + Arrays.toString(shape) + " has a negative dimension.");
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The values as float32, converting F64 / F16 / BF16 (and integer types, exactly where they fit). */
  public float[] toFloatArray() {
    long n = numel();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("A tensor of " + n + " elements does not fit a Java array.");
    }
    float[] out = new float[(int) n];
    ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case F32 -> b.asFloatBuffer().get(out);
      case F64 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) b.getDouble(i * 8);
        }
      }
      case F16 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = DType.halfToFloat(b.getShort(i * 2));
        }
      }
      case BF16 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = DType.bfloat16ToFloat(b.getShort(i * 2));
        }
      }
      default -> {
        long[] longs = toLongArray();
        for (int i = 0; i < out.length; i++) {
          out[i] = longs[i];
        }
      }
    }
    return out;
  }

  /** The values of an integer or boolean tensor as int64. */
  public long[] toLongArray() {
    if (dtype.isFloating()) {
      throw new IllegalStateException("The tensor is " + dtype + "; toLongArray reads integer tensors only.");
    }
    long n = numel();
    long[] out = new long[Math.toIntExact(n)];
    ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (dtype) {
        case I64 -> b.getLong(i * 8);
        case I32 -> b.getInt(i * 4);
        case I16 -> b.getShort(i * 2);
        case I8 -> b.get(i);
        case U8, BOOL -> b.get(i) & 0xff;
        default -> throw new IllegalStateException("unreachable: " + dtype);
      };
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorData t && t.dtype == dtype && Arrays.equals(t.shape, shape) && t.data.equals(data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + data.hashCode();
  }

  @Override
  public String toString() {
    return dtype + Arrays.toString(shape);
  }
}
