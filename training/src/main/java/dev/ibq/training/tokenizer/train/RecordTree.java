package dev.ibq.training.tokenizer.train;

import dev.ibq.training.io.Json;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Converts immutable configuration records to and from trees of maps, so that a YAML file, a
 * {@code --set key=value} override and a checkpoint's stored config all go through one typed path.
 *
 * <p>Keys are the record component names in snake_case ({@code codebookSize} becomes {@code
 * codebook_size}); nested records are nested maps. An override tree may also use dotted keys
 * ({@code architecture.codebook_size: 4096}), which mean the same as the nested form. Supported
 * leaf types: {@code int}, {@code long}, {@code double}, {@code float}, {@code boolean} (and their
 * boxes), {@code String}, enums (by name, case-insensitive), {@code List<...>} and arrays of those.
 *
 * <p>Every mistake is an error naming the full key: an unknown key lists the known ones; a wrong
 * type says what was expected.
 */
public final class RecordTree {

  private RecordTree() {}

  /** The record as a tree of ordered maps (snake_case keys), lists and plain values. */
  public static Map<String, Object> toTree(Record value) {
    Map<String, Object> tree = new LinkedHashMap<>();
    for (RecordComponent component : value.getClass().getRecordComponents()) {
      Object v;
      try {
        v = component.getAccessor().invoke(value);
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new IllegalStateException("Cannot read record component " + component.getName(), e);
      }
      tree.put(snake(component.getName()), toTreeValue(v));
    }
    return tree;
  }

  private static Object toTreeValue(Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof Record r) {
      return toTree(r);
    }
    if (v instanceof Enum<?> e) {
      return e.name();
    }
    if (v instanceof List<?> list) {
      return list.stream().map(RecordTree::toTreeValue).collect(Collectors.toList());
    }
    if (v.getClass().isArray()) {
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < Array.getLength(v); i++) {
        out.add(toTreeValue(Array.get(v, i)));
      }
      return out;
    }
    return v;
  }

  /**
   * Returns {@code base} with the values of {@code overrides} replacing those at the same keys.
   *
   * @param overrides a possibly partial tree (nested maps and/or dotted keys)
   * @param source what the overrides came from, for error messages (e.g. "config.yaml")
   * @throws IllegalArgumentException naming the key when a key is unknown or a value has the wrong type
   */
  @SuppressWarnings("unchecked")
  public static <R extends Record> R override(R base, Map<String, ?> overrides, String source) {
    Map<String, Object> tree = toTree(base);
    merge(tree, overrides, "", base.getClass(), source);
    return fromTree((Class<R>) base.getClass(), tree, source);
  }

  /**
   * Applies one {@code key=value} override, where {@code key} is dotted ({@code
   * architecture.codebook_size}) and {@code value} is parsed as YAML (so {@code [1,2,2]}, {@code true}
   * and {@code 1e-4} work).
   */
  public static <R extends Record> R set(R base, String assignment) {
    int eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException(
          "Override '" + assignment + "' is not of the form key=value (e.g. architecture.codebook_size=4096).");
    }
    String key = assignment.substring(0, eq).trim();
    String text = assignment.substring(eq + 1).trim();
    Object value;
    try {
      value = Json.readYaml(text.isEmpty() ? "''" : text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(
          "Override '" + assignment + "': the value '" + text + "' is not valid YAML (" + e.getOriginalMessage() + ").", e);
    }
    Map<String, Object> one = new LinkedHashMap<>();
    one.put(key, value);
    return override(base, one, "--set " + key);
  }

  /**
   * Builds a record from a COMPLETE tree: every component must be present (used for configs stored
   * in checkpoints, which must never be completed from defaults).
   */
  public static <R extends Record> R fromTree(Class<R> type, Map<String, ?> tree, String source) {
    return buildRecord(type, tree, "", source);
  }

  @SuppressWarnings("unchecked")
  private static void merge(
      Map<String, Object> target, Map<String, ?> overrides, String prefix, Class<?> type, String source) {
    for (Map.Entry<String, ?> entry : overrides.entrySet()) {
      String rawKey = String.valueOf(entry.getKey());
      List<String> parts = Arrays.asList(rawKey.split("\\."));
      Map<String, Object> node = target;
      Class<?> nodeType = type;
      String path = prefix;
      for (int i = 0; i < parts.size(); i++) {
        String part = parts.get(i);
        String full = path.isEmpty() ? part : path + "." + part;
        RecordComponent component = component(nodeType, part, full, source);
        boolean last = i == parts.size() - 1;
        if (!last) {
          if (!component.getType().isRecord()) {
            throw new IllegalArgumentException(
                source + ": key '" + full + "' holds " + describe(component.getGenericType())
                    + ", not a section, so '" + rawKey + "' does not exist.");
          }
          node = (Map<String, Object>) node.get(part);
          nodeType = component.getType();
          path = full;
          continue;
        }
        Object value = entry.getValue();
        if (component.getType().isRecord()) {
          if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(
                source + ": key '" + full + "' is a section; expected a map of its keys ("
                    + String.join(", ", keys(component.getType())) + "), got " + shown(value) + ".");
          }
          merge((Map<String, Object>) node.get(part), (Map<String, ?>) map, full, component.getType(), source);
        } else {
          // Convert now so a wrong type is reported with the key, then store the tree form.
          Object converted = convert(value, component.getGenericType(), full, source);
          node.put(part, toTreeValue(converted));
        }
      }
    }
  }

  private static RecordComponent component(Class<?> type, String key, String full, String source) {
    for (RecordComponent c : type.getRecordComponents()) {
      if (snake(c.getName()).equals(key)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        source + ": unknown key '" + full + "'; the known keys here are: " + String.join(", ", keys(type)) + ".");
  }

  /** The snake_case keys of a record type, in declaration order. */
  public static List<String> keys(Class<?> type) {
    return Arrays.stream(type.getRecordComponents()).map(c -> snake(c.getName())).toList();
  }

  private static <R> R buildRecord(Class<R> type, Map<String, ?> tree, String prefix, String source) {
    for (String key : tree.keySet()) {
      component(type, key, prefix + key, source);
    }
    RecordComponent[] components = type.getRecordComponents();
    Object[] args = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      String key = snake(c.getName());
      String full = prefix + key;
      types[i] = c.getType();
      if (!tree.containsKey(key)) {
        throw new IllegalArgumentException(source + ": key '" + full + "' is missing; a complete config is required.");
      }
      args[i] = convert(tree.get(key), c.getGenericType(), full, source);
    }
    try {
      Constructor<R> ctor = type.getDeclaredConstructor(types);
      ctor.setAccessible(true);
      return ctor.newInstance(args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw new IllegalArgumentException(
          source + ": invalid values under '" + (prefix.isEmpty() ? "<top>" : prefix) + "': " + cause.getMessage(),
          cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Cannot construct " + type.getName(), e);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object convert(Object value, Type type, String key, String source) {
    Class<?> raw = rawClass(type);
    if (value == null) {
      throw new IllegalArgumentException(source + ": key '" + key + "' has no value; expected " + describe(type) + ".");
    }
    if (raw.isRecord()) {
      if (!(value instanceof Map<?, ?> map)) {
        throw wrong(source, key, type, value);
      }
      return buildRecord(raw, (Map<String, ?>) map, key + ".", source);
    }
    if (raw == int.class || raw == Integer.class) {
      long l = integral(value, source, key, type);
      if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
        throw wrong(source, key, type, value);
      }
      return (int) l;
    }
    if (raw == long.class || raw == Long.class) {
      return integral(value, source, key, type);
    }
    if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
      double d;
      if (value instanceof Number n) {
        d = n.doubleValue();
      } else if (value instanceof String s) {
        try {
          d = Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
          throw wrong(source, key, type, value);
        }
      } else {
        throw wrong(source, key, type, value);
      }
      return raw == float.class || raw == Float.class ? (Object) (float) d : (Object) d;
    }
    if (raw == boolean.class || raw == Boolean.class) {
      if (value instanceof Boolean b) {
        return b;
      }
      throw wrong(source, key, type, value);
    }
    if (raw == String.class) {
      if (value instanceof String || value instanceof Number) {
        return String.valueOf(value);
      }
      throw wrong(source, key, type, value);
    }
    if (raw.isEnum()) {
      String name = String.valueOf(value).trim();
      for (Object constant : raw.getEnumConstants()) {
        if (((Enum<?>) constant).name().equalsIgnoreCase(name)) {
          return constant;
        }
      }
      throw wrong(source, key, type, value);
    }
    if (List.class.isAssignableFrom(raw)) {
      if (!(value instanceof List<?> list)) {
        throw wrong(source, key, type, value);
      }
      Type element = type instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        out.add(convert(list.get(i), element, key + "[" + i + "]", source));
      }
      return List.copyOf(out);
    }
    if (raw.isArray()) {
      if (!(value instanceof List<?> list)) {
        throw wrong(source, key, type, value);
      }
      Object array = Array.newInstance(raw.getComponentType(), list.size());
      for (int i = 0; i < list.size(); i++) {
        Array.set(array, i, convert(list.get(i), raw.getComponentType(), key + "[" + i + "]", source));
      }
      return array;
    }
    throw new IllegalStateException("Unsupported config type " + type + " at '" + key + "'.");
  }

  private static long integral(Object value, String source, String key, Type type) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof java.math.BigInteger) {
      throw wrong(source, key, type, value);
    }
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.longValue();
    }
    throw wrong(source, key, type, value);
  }

  private static IllegalArgumentException wrong(String source, String key, Type type, Object value) {
    return new IllegalArgumentException(
        source + ": key '" + key + "' expects " + describe(type) + ", got " + shown(value) + ".");
  }

  private static String shown(Object value) {
    if (value == null) {
      return "nothing";
    }
    String kind = value instanceof Map ? "a map" : value instanceof List ? "a list" : value instanceof String ? "the text" : "the " + value.getClass().getSimpleName().toLowerCase();
    String text = String.valueOf(value);
    return kind + " " + (text.length() > 60 ? text.substring(0, 60) + "..." : "'" + text + "'");
  }

  private static String describe(Type type) {
    Class<?> raw = rawClass(type);
    if (raw == int.class || raw == Integer.class) {
      return "an integer";
    }
    if (raw == long.class || raw == Long.class) {
      return "an integer";
    }
    if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
      return "a number";
    }
    if (raw == boolean.class || raw == Boolean.class) {
      return "true or false";
    }
    if (raw == String.class) {
      return "a text value";
    }
    if (raw.isEnum()) {
      return "one of " + Arrays.stream(raw.getEnumConstants()).map(Object::toString).collect(Collectors.joining(", "));
    }
    if (List.class.isAssignableFrom(raw)) {
      Type element = type instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
      return "a list of " + plural(describe(element));
    }
    if (raw.isArray()) {
      return "a list of " + plural(describe(raw.getComponentType()));
    }
    if (raw.isRecord()) {
      return "a section with keys " + String.join(", ", keys(raw));
    }
    return raw.getSimpleName();
  }

  private static String plural(String description) {
    return description.replaceFirst("^an? ", "") + "s";
  }

  private static Class<?> rawClass(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    throw new IllegalStateException("Unsupported config type " + type);
  }

  /** {@code codebookSize} -> {@code codebook_size}; {@code beta1} stays {@code beta1}. */
  static String snake(String camel) {
    StringBuilder out = new StringBuilder();
    for (char ch : camel.toCharArray()) {
      if (Character.isUpperCase(ch)) {
        out.append('_').append(Character.toLowerCase(ch));
      } else {
        out.append(ch);
      }
    }
    return out.toString();
  }
}
