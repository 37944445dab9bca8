package dev.ibq.training.importer;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.ibq.training.tokenizer.QuantizerKind;
import dev.ibq.training.io.Json;
import dev.ibq.training.tokenizer.QuantizerKinds;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The run config of a reference tokenizer, read from its YAML: SEED-Voken's LightningCLI layout
 * ({@code model: {class_path: src.IBQ.models.ibqgan.IBQ, init_args: {ddconfig, n_embed, embed_dim, ...}}}) or
 * taming-transformers' layout ({@code model: {target: taming.models.vqgan.VQModel, params: {...}}}).
 *
 * <p>The architecture comes from {@code ddconfig} (taming's Encoder / Decoder arguments), {@code n_embed} (K) and
 * {@code embed_dim} (D); GroupNorm has 32 groups, as the reference's {@code Normalize} fixes. The quantizer comes from
 * the model class, through {@link QuantizerKind#referenceModelClasses()}: SEED-Voken's {@code IBQ} is the kind IBQ;
 * taming's / SEED-Voken's {@code VQModel} (VectorQuantizer2, nearest neighbour) is VQ. Every {@code ddconfig} key must be known; an
 * option that would change what the network computes and that this project does not implement ({@code double_z},
 * {@code remap}, {@code l2_normalize} for VQ, ...) is an error naming it. Other model arguments configure training
 * (loss, optimiser, schedule) and are listed in {@link #ignoredKeys()} or, when this importer does not know them,
 * {@link #unknownKeys()}.
 *
 * @param modelClass the model class named by the YAML
 * @param architecture the rebuilt architecture
 * @param ddconfig the ddconfig as read (for the export's config record)
 * @param ignoredKeys known model arguments that do not affect inference (loss, optimiser, schedule)
 * @param unknownKeys model arguments this importer does not know, left out; {@code ddconfig} is checked strictly, so
 *     these are the model class's training options (SEED-Voken's pretrain configs add {@code use_shared_epoch},
 *     {@code wp_iter}, ...), reported to the user
 * @param useEma the config's {@code use_ema} (null when absent)
 */
public record ReferenceConfig(
    String modelClass,
    TokenizerArchitecture architecture,
    Map<String, Object> ddconfig,
    List<String> ignoredKeys,
    List<String> unknownKeys,
    Boolean useEma) {

  /** GroupNorm groups of the reference's Normalize(). */
  public static final int REFERENCE_GROUPS = 32;

  private static final Set<String> DDCONFIG_KEYS = Set.of(
      "double_z", "z_channels", "resolution", "in_channels", "out_ch", "ch", "ch_mult", "num_res_blocks",
      "attn_resolutions", "dropout", "resamp_with_conv", "give_pre_end", "tanh_out", "use_linear_attn", "attn_type");

  private static final Set<String> TRAINING_KEYS = Set.of(
      "lossconfig", "ckpt_path", "ignore_keys", "image_key", "colorize_nlabels", "monitor", "sane_index_shape",
      "learning_rate", "warmup_epochs", "scheduler_type", "min_learning_rate", "gradient_clip_val", "use_entropy_loss",
      "sample_minimization_weight", "batch_maximization_weight", "entropy_temperature", "beta", "lr_drop_epoch",
      "lr_drop_rate", "resume_lr", "use_ema", "stage", "cosine_similarity", "l2_normalize", "remap", "base_learning_rate");

  /** Reads and checks {@code file}. */
  public static ReferenceConfig read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new ImportException("The config " + file + " does not exist; pass the run's YAML (e.g. configs/IBQ/gpu/imagenet_ibqgan_16384.yaml).");
    }
    return parse(Files.readString(file), file.toString());
  }

  /** Parses YAML text; {@code source} names it in errors. */
  public static ReferenceConfig parse(String yamlText, String source) {
    Object root;
    try {
      root = Json.readYaml(yamlText);
    } catch (JsonProcessingException e) {
      throw new ImportException("The config " + source + " is not valid YAML: " + e.getOriginalMessage().lines().findFirst().orElse("") + ".", e);
    }
    Map<String, Object> top = map(source, "the top level", root);
    if (!top.containsKey("model")) {
      throw new ImportException(
          "The config " + source + " has no 'model' section (top-level keys " + top.keySet()
              + "); expected a SEED-Voken / taming run config with model.class_path + init_args or model.target + params.");
    }
    Map<String, Object> model = map(source, "model", top.get("model"));
    String modelClass;
    Map<String, Object> args;
    if (model.containsKey("class_path")) {
      modelClass = String.valueOf(model.get("class_path"));
      args = map(source, "model.init_args", model.get("init_args"));
    } else if (model.containsKey("target")) {
      modelClass = String.valueOf(model.get("target"));
      args = map(source, "model.params", model.get("params"));
    } else {
      throw new ImportException("The config " + source + " names no model class: 'model' has neither class_path nor target (keys " + model.keySet() + ").");
    }
    QuantizerKind quantizer = QuantizerKinds.forReferenceModelClass(modelClass);
    if (quantizer == null) {
      throw new ImportException(
          "The config " + source + " builds the model class '" + modelClass + "', whose quantizer this project does not have. Supported: "
              + QuantizerKinds.referenceModelClasses() + " (IBQ, and VectorQuantizer2 nearest-neighbour VQ). Lookup-free (Open-MAGVIT2),"
              + " Gumbel and EMA quantizers are not implemented.");
    }
    List<String> ignored = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    for (String key : args.keySet()) {
      if (!key.equals("ddconfig") && !key.equals("n_embed") && !key.equals("embed_dim")) {
        (TRAINING_KEYS.contains(key) ? ignored : unknown).add(key);
      }
    }
    if (args.get("remap") != null) {
      throw new ImportException("The config " + source + " sets remap: " + args.get("remap") + "; index remapping is not implemented (remove it only if the checkpoint was trained without it).");
    }
    String mismatch = quantizer.referenceMismatch(args);
    if (mismatch != null) {
      throw new ImportException("The config " + source + " " + mismatch);
    }
    int k = integer(source, "n_embed", args.get("n_embed"));
    int d = integer(source, "embed_dim", args.get("embed_dim"));
    Map<String, Object> dd = map(source, "ddconfig", args.get("ddconfig"));
    for (String key : dd.keySet()) {
      if (!DDCONFIG_KEYS.contains(key)) {
        throw new ImportException("The config " + source + " has the ddconfig key '" + key + "', which is unknown; known keys are " + new TreeSet<>(DDCONFIG_KEYS) + ".");
      }
    }
    requireValue(source, dd, "double_z", false, "the encoder would output mean and variance (2 x z_channels)");
    requireValue(source, dd, "resamp_with_conv", true, "down/upsampling without convolutions is not implemented");
    requireValue(source, dd, "give_pre_end", false, "the decoder would stop before norm_out/conv_out");
    requireValue(source, dd, "tanh_out", false, "a tanh on the decoder output is not implemented");
    requireValue(source, dd, "use_linear_attn", false, "linear attention is not implemented");
    if (dd.containsKey("attn_type") && !"vanilla".equals(dd.get("attn_type"))) {
      throw new ImportException("The config " + source + " sets ddconfig.attn_type: " + dd.get("attn_type") + "; only 'vanilla' attention is implemented.");
    }
    int resolution = integer(source, "ddconfig.resolution", dd.get("resolution"));
    int inChannels = integer(source, "ddconfig.in_channels", dd.get("in_channels"));
    int outChannels = integer(source, "ddconfig.out_ch", dd.get("out_ch"));
    int ch = integer(source, "ddconfig.ch", dd.get("ch"));
    List<Integer> chMult = integers(source, "ddconfig.ch_mult", dd.get("ch_mult"));
    int numResBlocks = integer(source, "ddconfig.num_res_blocks", dd.get("num_res_blocks"));
    List<Integer> attn = dd.containsKey("attn_resolutions") ? integers(source, "ddconfig.attn_resolutions", dd.get("attn_resolutions")) : List.of();
    int zChannels = integer(source, "ddconfig.z_channels", dd.get("z_channels"));
    double dropout = dd.containsKey("dropout") ? number(source, "ddconfig.dropout", dd.get("dropout")) : 0.0;
    TokenizerArchitecture arch;
    try {
      arch = new TokenizerArchitecture(
          resolution, inChannels, outChannels, ch, chMult, numResBlocks, attn, zChannels, d, k, REFERENCE_GROUPS, dropout, quantizer.name());
    } catch (IllegalArgumentException e) {
      throw new ImportException("The config " + source + " describes an architecture this project cannot build: " + e.getMessage(), e);
    }
    Object useEma = args.get("use_ema");
    return new ReferenceConfig(
        modelClass, arch, new LinkedHashMap<>(dd), List.copyOf(ignored), List.copyOf(unknown), useEma instanceof Boolean b ? b : null);
  }

  private static void requireValue(String source, Map<String, Object> dd, String key, boolean expected, String why) {
    if (dd.containsKey(key) && dd.get(key) != null && !Boolean.valueOf(expected).equals(dd.get(key))) {
      throw new ImportException("The config " + source + " sets ddconfig." + key + ": " + dd.get(key) + "; only " + expected + " is supported (" + why + ").");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(String source, String what, Object value) {
    if (!(value instanceof Map<?, ?> m)) {
      throw new ImportException("The config " + source + ": " + what + " is " + (value == null ? "missing or empty" : "a " + value.getClass().getSimpleName()) + "; expected a mapping.");
    }
    for (Object key : m.keySet()) {
      if (!(key instanceof String)) {
        throw new ImportException("The config " + source + ": " + what + " has the non-text key " + key + ".");
      }
    }
    return (Map<String, Object>) m;
  }

  private static int integer(String source, String key, Object value) {
    if (value instanceof Integer i) {
      return i;
    }
    throw new ImportException("The config " + source + " has " + key + " = " + value + "; expected an integer" + (value == null ? " (the key is missing)" : "") + ".");
  }

  private static double number(String source, String key, Object value) {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    throw new ImportException("The config " + source + " has " + key + " = " + value + "; expected a number.");
  }

  private static List<Integer> integers(String source, String key, Object value) {
    if (!(value instanceof List<?> list)) {
      throw new ImportException("The config " + source + " has " + key + " = " + value + "; expected a list of integers such as [1, 1, 2, 2, 4].");
    }
    List<Integer> out = new ArrayList<>();
    for (Object o : list) {
      out.add(integer(source, key + " entry", o));
    }
    return out;
  }
}
