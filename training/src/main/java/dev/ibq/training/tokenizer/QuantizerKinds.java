package dev.ibq.training.tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The registry of quantizer kinds by config name (case-insensitive: {@code quantizer: ibq} and {@code IBQ} are the
 * same kind). The project registers its two here; a test (or a plug-in) may {@link #register} more, which then train,
 * evaluate and export through the same code.
 *
 * <p>Adding a quantizer: one class (the {@link Quantizer} with its {@link QuantizerKind}, its loss terms,
 * diagnostics and export scores), one line below, and its tests; see the package documentation.
 */
public final class QuantizerKinds {

  private static final Map<String, QuantizerKind> KINDS = new LinkedHashMap<>();

  static {
    register(IndexPropagationQuantizer.KIND);
    register(VectorQuantizer.KIND);
  }

  private QuantizerKinds() {}

  /**
   * Adds a kind. Registering the same instance again does nothing.
   *
   * @throws IllegalArgumentException when another kind already has this name (case-insensitive)
   */
  public static synchronized void register(QuantizerKind kind) {
    String key = key(kind.name());
    QuantizerKind existing = KINDS.get(key);
    if (existing == kind) {
      return;
    }
    if (existing != null) {
      throw new IllegalArgumentException(
          "A quantizer kind named '" + existing.name() + "' is already registered (" + existing.description() + "); choose"
              + " another name for '" + kind.name() + "'.");
    }
    KINDS.put(key, kind);
  }

  /**
   * The kind called {@code name}, case-insensitive.
   *
   * @throws IllegalArgumentException listing the known names when there is none
   */
  public static synchronized QuantizerKind get(String name) {
    QuantizerKind kind = name == null ? null : KINDS.get(key(name));
    if (kind == null) {
      throw new IllegalArgumentException(
          "There is no quantizer called '" + name + "'; the quantizers are " + String.join(", ", names()) + ".");
    }
    return kind;
  }

  /** The registered names, in registration order. */
  public static synchronized List<String> names() {
    List<String> names = new ArrayList<>();
    KINDS.values().forEach(k -> names.add(k.name()));
    return names;
  }

  /** The kind that computes the quantizer of a reference model class, or null when none does. */
  public static synchronized QuantizerKind forReferenceModelClass(String modelClass) {
    for (QuantizerKind kind : KINDS.values()) {
      if (kind.referenceModelClasses().contains(modelClass)) {
        return kind;
      }
    }
    return null;
  }

  /** Every reference model class some kind computes, sorted. */
  public static synchronized TreeSet<String> referenceModelClasses() {
    TreeSet<String> all = new TreeSet<>();
    KINDS.values().forEach(k -> all.addAll(k.referenceModelClasses()));
    return all;
  }

  private static String key(String name) {
    return name.trim().toUpperCase(Locale.ROOT);
  }
}
