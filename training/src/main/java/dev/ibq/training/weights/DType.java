package dev.ibq.training.weights;

import java.util.Locale;

/**
 * Element types of stored tensors, under their safetensors names ({@code F32}, {@code BF16}, ...), with the
 * torch storage classes that carry them ({@code torch.FloatStorage}, ...). All are little-endian on disk.
 */
public enum DType {
  F64(8, "DoubleStorage"),
  F32(4, "FloatStorage"),
  F16(2, "HalfStorage"),
  BF16(2, "BFloat16Storage"),
  I64(8, "LongStorage"),
  I32(4, "IntStorage"),
  I16(2, "ShortStorage"),
  I8(1, "CharStorage"),
  U8(1, "ByteStorage"),
  BOOL(1, "BoolStorage");

  private final int bytes;
  private final String torchStorage;

  DType(int bytes, String torchStorage) {
    this.bytes = bytes;
    this.torchStorage = torchStorage;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }

  /** The legacy torch storage class name (in module {@code torch}) that pickles this type. */
  public String torchStorage() {
    return torchStorage;
  }

  /** True for the floating-point types. */
  public boolean isFloating() {
    return this == F64 || this == F32 || this == F16 || this == BF16;
  }

  /**
   * The type under its safetensors name.
   *
   * @throws IllegalArgumentException naming the type and the known ones
   */
  public static DType ofSafetensors(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "The tensor type '" + name + "' is not supported; expected one of " + java.util.Arrays.toString(values()) + ".", e);
    }
  }

  /** The type a torch storage class (e.g. {@code FloatStorage}) holds, or null when it is not one of these. */
  public static DType ofTorchStorage(String className) {
    for (DType t : values()) {
      if (t.torchStorage.equals(className)) {
        return t;
      }
    }
    return null;
  }

  /** IEEE 754 half precision (binary16) bits -> float. */
  public static float halfToFloat(short bits) {
    int h = bits & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0x1f) { // infinity or NaN
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      if (mantissa == 0) {
        return Float.intBitsToFloat(sign);
      }
      float subnormal = mantissa * 0x1p-24f; // mantissa * 2^-24, exact in float
      return sign == 0 ? subnormal : -subnormal;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  /** float -> IEEE 754 half precision bits, rounding to nearest even (overflow to infinity). */
  public static short floatToHalf(float value) {
    int f = Float.floatToRawIntBits(value);
    int sign = (f >>> 16) & 0x8000;
    int exponent = ((f >>> 23) & 0xff) - 127 + 15;
    int mantissa = f & 0x7fffff;
    if (((f >>> 23) & 0xff) == 0xff) {
      return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
    }
    if (exponent >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (exponent <= 0) {
      if (exponent < -10) {
        return (short) sign;
      }
      mantissa |= 0x800000;
      int shift = 14 - exponent;
      int half = mantissa >>> shift;
      int rest = mantissa & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rest > halfway || (rest == halfway && (half & 1) == 1)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (exponent << 10) | (mantissa >>> 13);
    int rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
      half++; // may carry into the exponent, which is the correct rounding
    }
    return (short) (sign | half);
  }

  /** bfloat16 bits -> float: the upper 16 bits of a float32. */
  public static float bfloat16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }
}
