package dev.ibq.training.importer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Maps a reference checkpoint's keys to this project's state dict. The generator keys are the same on both sides
 * ({@code encoder.*}, {@code decoder.*}, {@code quantize.embedding.weight}, {@code quant_conv.*},
 * {@code post_quant_conv.*}: see {@code IbqTokenizerModel}); what this class decides is which copy to take and what
 * to leave:
 * <ul>
 *   <li>SEED-Voken's {@code LitEma} keeps a shadow of every trainable parameter of the whole LightningModule as a
 *       buffer named {@code model_ema.<parameter name with every dot removed>}
 *       ({@code model_ema.encoderconv_inweight}), plus {@code model_ema.decay} and {@code model_ema.num_updates};
 *       evaluation swaps the shadows in. {@link WeightChoice#AUTO} takes them when present.
 *   <li>{@code loss.*} (discriminator, LPIPS network and its scaling buffers), the EMA shadows of loss parameters
 *       ({@code model_ema.loss...}) and EMA bookkeeping are training state: ignored and counted.
 *   <li>Anything else is unexpected: with missing keys and shape mismatches, it makes the import fail with one
 *       message listing all of them.
 * </ul>
 */
public final class ReferenceKeys {

  /** Which copy of the generator weights to import. */
  public enum WeightChoice {
    /** The EMA shadows when the checkpoint has them, the raw weights otherwise (the reference's evaluation). */
    AUTO,
    /** The EMA shadows; an error when there are none. */
    EMA,
    /** The raw (last training step) weights. */
    RAW
  }

  /**
   * The outcome.
   *
   * @param sourceKeys model key -> key in the weight file, in model order
   * @param ema whether the EMA shadows were taken
   * @param ignored keys left out as training state, sorted
   */
  public record Mapping(Map<String, String> sourceKeys, boolean ema, List<String> ignored) {
    public Mapping {
      sourceKeys = Collections.unmodifiableMap(new LinkedHashMap<>(sourceKeys));
      ignored = List.copyOf(ignored);
    }
  }

  private static final String EMA_PREFIX = "model_ema.";
  private static final int LISTED = 12;

  private ReferenceKeys() {}

  /** LitEma's buffer name for a parameter: {@code model_ema.} + the name without dots. */
  public static String emaKey(String key) {
    return EMA_PREFIX + key.replace(".", "");
  }

  /** True for training state that an import leaves out: loss.*, its EMA shadows, EMA bookkeeping, LPIPS / Inception. */
  public static boolean ignorable(String key) {
    return key.startsWith("loss.")
        || key.equals(EMA_PREFIX + "decay")
        || key.equals(EMA_PREFIX + "num_updates")
        || key.startsWith(EMA_PREFIX + "loss")
        || key.contains("lpips")
        || key.contains("inception_model");
  }

  /**
   * Chooses the file key of every model key and checks shapes.
   *
   * @param available the file's keys and shapes
   * @param expected the model's state-dict keys and shapes
   * @param choice which copy to take
   * @param source the weight file, for messages
   * @param configSource the config, for messages
   * @throws ImportException listing every missing key, unexpected key and shape mismatch at once
   */
  public static Mapping resolve(
      Map<String, long[]> available, Map<String, long[]> expected, WeightChoice choice, String source, String configSource) {
    Map<String, String> emaNames = new HashMap<>();
    for (String key : expected.keySet()) {
      String previous = emaNames.put(emaKey(key), key);
      if (previous != null) {
        throw new IllegalStateException("The model keys '" + previous + "' and '" + key + "' share the EMA name " + emaKey(key) + ".");
      }
    }
    boolean emaPresent = emaNames.keySet().stream().anyMatch(available::containsKey);
    if (choice == WeightChoice.EMA && !emaPresent) {
      throw new ImportException(
          source + " has no EMA weights (no model_ema.* shadows of the tokenizer's parameters); import its raw weights with --weights raw.");
    }
    boolean useEma = choice == WeightChoice.EMA || (choice == WeightChoice.AUTO && emaPresent);
    Map<String, String> chosen = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    List<String> misShaped = new ArrayList<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      String src = useEma ? emaKey(e.getKey()) : e.getKey();
      long[] shape = available.get(src);
      if (shape == null) {
        missing.add(useEma ? src + " (EMA of " + e.getKey() + ")" : src);
        continue;
      }
      if (!Arrays.equals(shape, e.getValue())) {
        misShaped.add(src + ": checkpoint " + Arrays.toString(shape) + " vs config " + Arrays.toString(e.getValue()));
      }
      chosen.put(e.getKey(), src);
    }
    TreeSet<String> unexpected = new TreeSet<>();
    TreeSet<String> ignored = new TreeSet<>();
    for (String key : available.keySet()) {
      if (expected.containsKey(key) || emaNames.containsKey(key)) {
        continue;
      }
      if (ignorable(key)) {
        ignored.add(key);
      } else {
        unexpected.add(key);
      }
    }
    if (!missing.isEmpty() || !unexpected.isEmpty() || !misShaped.isEmpty()) {
      throw new ImportException(mismatchMessage(
          available, expected, useEma, missing, new ArrayList<>(unexpected), misShaped, source, configSource));
    }
    return new Mapping(chosen, useEma, new ArrayList<>(ignored));
  }

  private static String mismatchMessage(
      Map<String, long[]> available, Map<String, long[]> expected, boolean useEma, List<String> missing, List<String> unexpected,
      List<String> misShaped, String source, String configSource) {
    StringBuilder m = new StringBuilder("The weights in " + source + " do not match the architecture of " + configSource + " ("
        + (useEma ? "EMA" : "raw") + " weights):");
    if (!missing.isEmpty()) {
      m.append("\n  ").append(missing.size()).append(" missing key(s): ").append(list(missing));
    }
    if (!unexpected.isEmpty()) {
      // A key the config does not build usually comes with its LitEma shadow: list the pair once.
      TreeSet<String> shadows = new TreeSet<>();
      List<String> shown = new ArrayList<>();
      for (String key : unexpected) {
        if (!key.startsWith(EMA_PREFIX) && unexpected.contains(emaKey(key))) {
          shown.add(key + " (+ EMA)");
          shadows.add(emaKey(key));
        }
      }
      for (String key : unexpected) {
        if (!shadows.contains(key) && !shown.contains(key + " (+ EMA)")) {
          shown.add(key);
        }
      }
      m.append("\n  ").append(unexpected.size()).append(" unexpected key(s): ").append(list(shown));
    }
    if (!misShaped.isEmpty()) {
      m.append("\n  ").append(misShaped.size()).append(" shape mismatch(es): ").append(String.join("; ", misShaped.subList(0, Math.min(LISTED, misShaped.size()))));
      if (misShaped.size() > LISTED) {
        m.append("; and ").append(misShaped.size() - LISTED).append(" more");
      }
    }
    String codebook = dev.ibq.training.tokenizer.IbqTokenizerModel.CODEBOOK_KEY;
    long[] fileCodebook = available.get(useEma ? emaKey(codebook) : codebook);
    long[] configCodebook = expected.get(codebook);
    if (fileCodebook != null && configCodebook != null && !Arrays.equals(fileCodebook, configCodebook)) {
      m.append("\nThe checkpoint's codebook is ").append(Arrays.toString(fileCodebook)).append(" (n_embed x embed_dim) but the config says ")
          .append(Arrays.toString(configCodebook)).append(": is the YAML from another run?");
    }
    if (useEma && !missing.isEmpty() && expected.keySet().stream().allMatch(available::containsKey)) {
      m.append("\nThe raw weights are complete: import them with --weights raw.");
    }
    m.append("\nExpected: the YAML the checkpoint was trained with (ddconfig, n_embed, embed_dim).");
    return m.toString();
  }

  private static String list(List<String> keys) {
    return keys.size() <= LISTED ? keys.toString() : keys.subList(0, LISTED) + " and " + (keys.size() - LISTED) + " more";
  }
}
