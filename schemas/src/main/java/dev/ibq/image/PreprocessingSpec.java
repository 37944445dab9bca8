package dev.ibq.image;

import dev.ibq.schemas.PreprocessingDescriptor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Everything that decides how an image becomes a model input tensor. Two equal specs give
 * bit-identical tensors for the same image (see {@link Preprocessor}); a tokenizer records the spec
 * it was trained with and everything downstream rebuilds from that record, never from defaults.
 *
 * <p>Wire forms: {@link #toCanonicalString()} / {@link #parse(String)} (stable, versioned, e.g.
 * {@code ibq-preprocess:v1;h=32;w=32;c=1;resize=PAD_CENTER;interp=BILINEAR;pad=0;range=[-1,1]}) and
 * {@link #toDescriptor()} / {@link #fromDescriptor(PreprocessingDescriptor)} (the Avro record in
 * {@code TokenRecord.preprocessing}). Both round-trip exactly.
 *
 * @param height target height in pixels, 1 to {@value #MAX_SIDE}
 * @param width target width in pixels, 1 to {@value #MAX_SIDE}
 * @param channels 1 (gray, ITU-R BT.601 luma of RGB sources) or 3 (RGB; gray sources replicated)
 * @param resize how sizes are matched; every crop and pad is centered
 * @param interpolation resampling kernel (unused by {@link ResizePolicy#PAD_CENTER} and whenever
 *     the source already has the target size)
 * @param padValue 8-bit value (0-255) of padding, and of the background transparent pixels are
 *     composited over
 */
public record PreprocessingSpec(
    int height,
    int width,
    int channels,
    ResizePolicy resize,
    Interpolation interpolation,
    int padValue) {

  /**
   * Version of the preprocessing contract this code implements. Bump it whenever a change alters a
   * single output value for any input; old specs then fail to parse instead of silently drifting.
   */
  public static final int VERSION = 1;

  /** The value range of every tensor written by {@link Preprocessor}: {@code x / 127.5 - 1}. */
  public static final String VALUE_RANGE = "[-1,1]";

  /** Largest accepted target side. */
  public static final int MAX_SIDE = 8192;

  private static final String PREFIX = "ibq-preprocess:v";
  private static final List<String> KEYS = List.of("h", "w", "c", "resize", "interp", "pad", "range");

  public PreprocessingSpec {
    if (height < 1 || height > MAX_SIDE || width < 1 || width > MAX_SIDE) {
      throw new IllegalArgumentException(
          "Preprocessing target is " + height + "x" + width + " pixels; each side must be between 1 and " + MAX_SIDE + ".");
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException(
          "Preprocessing channels is " + channels + "; expected 1 (gray) or 3 (RGB).");
    }
    Objects.requireNonNull(resize, "resize policy");
    Objects.requireNonNull(interpolation, "interpolation");
    if (padValue < 0 || padValue > 255) {
      throw new IllegalArgumentException("Pad value is " + padValue + "; expected an 8-bit value between 0 and 255.");
    }
  }

  /**
   * Fashion-MNIST for a tokenizer with 32x32 inputs: 1 channel, the 28x28 image centered on a black
   * 32x32 canvas with no resampling.
   */
  public static PreprocessingSpec fashionMnist32() {
    return new PreprocessingSpec(32, 32, 1, ResizePolicy.PAD_CENTER, Interpolation.BILINEAR, 0);
  }

  /** Photos for an RGB tokenizer: shorter side scaled to {@code size} (area filter), then center-cropped square. */
  public static PreprocessingSpec rgbCenterCrop(int size) {
    return new PreprocessingSpec(size, size, 3, ResizePolicy.RESIZE_SHORTER_CENTER_CROP, Interpolation.AREA, 0);
  }

  /** Number of floats one preprocessed image occupies: {@code channels * height * width}. */
  public int tensorSize() {
    return channels * height * width;
  }

  /** The stable text form, e.g. {@code ibq-preprocess:v1;h=32;w=32;c=1;resize=PAD_CENTER;interp=BILINEAR;pad=0;range=[-1,1]}. */
  public String toCanonicalString() {
    return PREFIX + VERSION + ";h=" + height + ";w=" + width + ";c=" + channels + ";resize=" + resize.name()
        + ";interp=" + interpolation.name() + ";pad=" + padValue + ";range=" + VALUE_RANGE;
  }

  @Override
  public String toString() {
    return toCanonicalString();
  }

  /**
   * Parses {@link #toCanonicalString()} output. Keys may come in any order, but every key must be
   * present exactly once, and unknown keys, other versions and other value ranges are refused.
   *
   * @throws IllegalArgumentException with a sentence naming the offending part
   */
  public static PreprocessingSpec parse(String text) {
    Objects.requireNonNull(text, "preprocessing spec text");
    String trimmed = text.strip();
    if (!trimmed.startsWith(PREFIX)) {
      throw new IllegalArgumentException(
          "Preprocessing spec '" + text + "' does not start with '" + PREFIX + "'; expected the form " + fashionMnist32().toCanonicalString() + ".");
    }
    String[] parts = trimmed.substring(PREFIX.length()).split(";", -1);
    int version;
    try {
      version = Integer.parseInt(parts[0]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Preprocessing spec '" + text + "' has version '" + parts[0] + "'; expected a number.", e);
    }
    if (version != VERSION) {
      throw new IllegalArgumentException("Preprocessing spec '" + text + "' is contract version " + version
          + "; this build implements version " + VERSION + " only, so its tensors would differ.");
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("Preprocessing spec '" + text + "' has the part '" + parts[i] + "'; expected key=value.");
      }
      String key = parts[i].substring(0, eq);
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("Preprocessing spec '" + text + "' has the unknown key '" + key + "'; known keys are " + KEYS + ".");
      }
      if (values.put(key, parts[i].substring(eq + 1)) != null) {
        throw new IllegalArgumentException("Preprocessing spec '" + text + "' sets '" + key + "' twice.");
      }
    }
    for (String key : KEYS) {
      if (!values.containsKey(key)) {
        throw new IllegalArgumentException("Preprocessing spec '" + text + "' lacks the key '" + key + "'.");
      }
    }
    if (!VALUE_RANGE.equals(values.get("range"))) {
      throw new IllegalArgumentException("Preprocessing spec '" + text + "' has range " + values.get("range") + "; only " + VALUE_RANGE + " exists.");
    }
    return new PreprocessingSpec(
        parseInt(text, "h", values.get("h")),
        parseInt(text, "w", values.get("w")),
        parseInt(text, "c", values.get("c")),
        parseEnum(text, ResizePolicy.class, values.get("resize")),
        parseEnum(text, Interpolation.class, values.get("interp")),
        parseInt(text, "pad", values.get("pad")));
  }

  /** The Avro wire form carried in {@code TokenRecord.preprocessing}. */
  public PreprocessingDescriptor toDescriptor() {
    return PreprocessingDescriptor.newBuilder()
        .setVersion(VERSION)
        .setHeight(height)
        .setWidth(width)
        .setChannels(channels)
        .setResizePolicy(resize.name())
        .setInterpolation(interpolation.name())
        .setPadValue(padValue)
        .setValueRange(VALUE_RANGE)
        .setCanonical(toCanonicalString())
        .build();
  }

  /**
   * Rebuilds the spec from its Avro wire form.
   *
   * @throws IllegalArgumentException when the descriptor is from another contract version, names
   *     an unknown policy, or its canonical string disagrees with its fields
   */
  public static PreprocessingSpec fromDescriptor(PreprocessingDescriptor d) {
    Objects.requireNonNull(d, "preprocessing descriptor");
    if (d.getVersion() != VERSION) {
      throw new IllegalArgumentException("Preprocessing descriptor is contract version " + d.getVersion()
          + "; this build implements version " + VERSION + " only, so its tensors would differ.");
    }
    if (!VALUE_RANGE.equals(d.getValueRange())) {
      throw new IllegalArgumentException("Preprocessing descriptor has value range " + d.getValueRange() + "; only " + VALUE_RANGE + " exists.");
    }
    String where = "descriptor " + d.getCanonical();
    PreprocessingSpec spec = new PreprocessingSpec(
        d.getHeight(),
        d.getWidth(),
        d.getChannels(),
        parseEnum(where, ResizePolicy.class, d.getResizePolicy()),
        parseEnum(where, Interpolation.class, d.getInterpolation()),
        d.getPadValue());
    if (!spec.toCanonicalString().equals(d.getCanonical())) {
      throw new IllegalArgumentException("Preprocessing descriptor fields say " + spec.toCanonicalString()
          + " but its canonical string says " + d.getCanonical() + "; the two must agree.");
    }
    return spec;
  }

  private static int parseInt(String text, String key, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Preprocessing spec '" + text + "' has " + key + "=" + value + "; expected an integer.", e);
    }
  }

  private static <E extends Enum<E>> E parseEnum(String text, Class<E> type, String value) {
    try {
      return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Preprocessing spec '" + text + "' has the " + type.getSimpleName() + " '" + value
          + "'; expected one of " + List.of(type.getEnumConstants()) + ".", e);
    }
  }
}
