package dev.ibq.training.tokenizer.train;

import dev.ibq.training.tokenizer.QuantizerKinds;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The closed registry of quantizer variants the utilization benchmark can compare: the paper's two (IBQ and the VQ
 * baseline) and the named remedies, each a set of config overrides on top of its base quantizer. A remedy is never
 * folded into "IBQ": it gets its own name and its own rows, so the published method is always reported as published.
 *
 * <ul>
 *   <li>{@code IBQ}: the method as in IBQ.md (entropy loss on).
 *   <li>{@code VQ}: the classic vector quantizer baseline, trained without the entropy loss.
 *   <li>{@code IBQ-CB10}, {@code IBQ-CB100}: IBQ with the codebook's learning rate 10x / 100x the common one
 *       ({@code optimizer.codebook_lr_scale}). NOTE: not in the paper. At CPU scale (hundreds of steps at lr 1e-4)
 *       Adam moves an N(0, 1) codebook by a few percent at most, so the codebook the argmax selects from is still
 *       essentially random; against latents of low effective dimension most random codes are not on the convex
 *       hull of the codebook's projection and can never win the maximum inner product (see {@link LatentGeometry}).
 *       A faster codebook gives it the travel of a longer schedule.
 * </ul>
 *
 * <p>{@code quantizer} names the base {@link dev.ibq.training.tokenizer.QuantizerKind} ({@link QuantizerKinds});
 * {@code published} says whether the variant is one of the paper's own configurations (not a remedy).
 */
public record QuantizerVariant(
    String name, String quantizer, List<String> overrides, String description, boolean published) {

  private static final Map<String, QuantizerVariant> VARIANTS = new LinkedHashMap<>();

  static {
    add(new QuantizerVariant("IBQ", "IBQ", List.of(), "IBQ as published", true));
    add(new QuantizerVariant("VQ", "VQ", List.of("losses.entropy=0"), "VQ baseline, no entropy loss", true));
    add(new QuantizerVariant(
        "IBQ-CB10", "IBQ", List.of("optimizer.codebook_lr_scale=10"), "IBQ, codebook lr x10 (remedy)", false));
    add(new QuantizerVariant(
        "IBQ-CB100", "IBQ", List.of("optimizer.codebook_lr_scale=100"), "IBQ, codebook lr x100 (remedy)", false));
  }

  private static void add(QuantizerVariant v) {
    VARIANTS.put(v.name(), v);
  }

  public QuantizerVariant {
    quantizer = QuantizerKinds.get(quantizer).name();
    overrides = List.copyOf(overrides);
  }

  /** The variant names, in a stable order. */
  public static List<String> names() {
    return List.copyOf(VARIANTS.keySet());
  }

  /**
   * The variant called {@code name} (case-insensitive).
   *
   * @throws IllegalArgumentException listing the known names
   */
  public static QuantizerVariant get(String name) {
    for (QuantizerVariant v : VARIANTS.values()) {
      if (v.name().equalsIgnoreCase(name.trim())) {
        return v;
      }
    }
    throw new IllegalArgumentException(
        "Unknown quantizer variant '" + name + "'; the variants are: " + String.join(", ", names()) + ".");
  }
}
