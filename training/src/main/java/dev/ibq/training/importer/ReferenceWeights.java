package dev.ibq.training.importer;

import dev.ibq.training.io.Json;
import dev.ibq.training.tokenizer.QuantizerKind;
import dev.ibq.training.tokenizer.QuantizerKinds;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import dev.ibq.training.tokenizer.TokenizerModule;
import dev.ibq.training.weights.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The other direction: this project's tokenizer weights in a form the reference PyTorch code loads unchanged.
 * {@link #writeSafetensors} writes the state dict under its reference keys (they are the keys of
 * {@code IbqTokenizerModel.stateDict()}), so {@code model.load_state_dict(tensors, strict=True)} works on SEED-Voken's
 * {@code IBQ} (or taming's {@code VQModel}) generator built from {@link #referenceYaml}; the loss / discriminator and
 * EMA entries of a Lightning checkpoint are absent, which is why the reference's own loader is non-strict and a
 * strict load goes through a generator-only module tree (see make_reference_fixture.py {@code check}).
 */
public final class ReferenceWeights {

  private ReferenceWeights() {}

  /**
   * The reference model class for a quantizer kind (the first of its {@link QuantizerKind#referenceModelClasses()}).
   *
   * @throws ImportException when the kind has no reference counterpart
   */
  public static String referenceClass(String quantizer) {
    QuantizerKind kind = QuantizerKinds.get(quantizer);
    if (kind.referenceModelClasses().isEmpty()) {
      throw new ImportException(
          "The quantizer " + kind.name() + " has no reference (SEED-Voken / taming) model class, so its weights cannot be"
              + " written for the reference code.");
    }
    return kind.referenceModelClasses().get(0);
  }

  /**
   * Writes {@code model}'s state dict (float32, reference keys) to {@code file} with metadata naming the reference
   * class and the architecture. For the tokenizer's EMA weights, pass the module that holds them.
   */
  public static void writeSafetensors(TokenizerModule model, TokenizerArchitecture arch, Path file) throws IOException {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", "pt");
    metadata.put("ibq.reference_class", referenceClass(arch.quantizer()));
    metadata.put("ibq.architecture", Json.write(arch));
    Safetensors.writeStateDict(file, model.stateDict(), metadata);
  }

  /**
   * A run config in SEED-Voken's LightningCLI layout for {@code arch}, which the reference code (and
   * {@link ReferenceConfig}) builds the same architecture from.
   *
   * @throws ImportException when the architecture departs from what the reference can build (GroupNorm groups other
   *     than 32)
   */
  public static String referenceYaml(TokenizerArchitecture arch) {
    if (arch.groupNormGroups() != ReferenceConfig.REFERENCE_GROUPS) {
      throw new ImportException(
          "The architecture uses GroupNorm with " + arch.groupNormGroups() + " groups; the reference's Normalize() fixes "
              + ReferenceConfig.REFERENCE_GROUPS + ", so its weights would load but compute something else. Train with 32 groups"
              + " (channel counts multiples of 32) for a reference-compatible tokenizer.");
    }
    String list = arch.chMult().stream().map(String::valueOf).collect(Collectors.joining(", "));
    String attn = arch.attnResolutions().stream().map(String::valueOf).collect(Collectors.joining(", "));
    return "# Written by dev.ibq.training.importer.ReferenceWeights: the reference model this project's weights load into.\n"
        + "model:\n"
        + "  class_path: " + referenceClass(arch.quantizer()) + "\n"
        + "  init_args:\n"
        + "    ddconfig:\n"
        + "      double_z: False\n"
        + "      z_channels: " + arch.zChannels() + "\n"
        + "      resolution: " + arch.resolution() + "\n"
        + "      in_channels: " + arch.inChannels() + "\n"
        + "      out_ch: " + arch.outChannels() + "\n"
        + "      ch: " + arch.ch() + "\n"
        + "      ch_mult: [" + list + "]\n"
        + "      num_res_blocks: " + arch.numResBlocks() + "\n"
        + "      attn_resolutions: [" + attn + "]\n"
        + "      dropout: " + arch.dropout() + "\n"
        + "    n_embed: " + arch.codebookSize() + "\n"
        + "    embed_dim: " + arch.codeDim() + "\n"
        + "    use_ema: True\n";
  }
}
