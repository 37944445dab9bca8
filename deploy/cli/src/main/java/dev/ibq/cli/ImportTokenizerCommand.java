package dev.ibq.cli;

import dev.ibq.training.importer.ReferenceKeys.WeightChoice;
import dev.ibq.training.importer.TokenizerImporter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./ibq import-tokenizer --checkpoint X.ckpt --config X.yaml --out DIR}: a SEED-Voken IBQ (or taming VQGAN)
 * checkpoint and its run YAML -> encoder.onnx + decoder.onnx that {@code encode}, {@code stream} and {@code demo} run.
 * See the README section "Importing the paper's tokenizers".
 */
@Command(
    name = "import-tokenizer",
    mixinStandardHelpOptions = true,
    description = {
      "Import a reference tokenizer (SEED-Voken IBQ / taming VQGAN: Lightning .ckpt or .safetensors, plus the run's YAML)",
      "and export it to ONNX for the stream: encoder.onnx, decoder.onnx and model-card.{json,md}.",
      "The checkpoint's pickle is read behind an allow-list (tensors, storages, OrderedDict, Lightning metadata): nothing in it is executed."
    })
public final class ImportTokenizerCommand implements Callable<Integer> {

  @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "The weights: a Lightning / torch .ckpt or a .safetensors file.")
  Path checkpoint;

  @Option(names = "--config", required = true, paramLabel = "YAML", description = "The run's config, e.g. configs/IBQ/gpu/imagenet_ibqgan_16384.yaml.")
  Path config;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
  Path out;

  @Option(
      names = "--weights",
      defaultValue = "auto",
      paramLabel = "auto|ema|raw",
      description = "Which copy: the EMA shadows (model_ema.*) when present (auto, default), the EMA (ema) or the last-step weights (raw).")
  String weights;

  @Option(names = "--name", description = "Tokenizer name in the metadata (default: imported-<config file name>).")
  String name;

  @Mixin QuantizerChunkOption graph;

  @Option(
      names = "--allow-pickle-class",
      paramLabel = "MODULE.NAME",
      description = "A further class the checkpoint's pickle may hold, read as inert data (nothing is executed); repeatable.")
  List<String> allowPickleClasses;

  @Override
  public Integer call() throws IOException {
    TokenizerImporter.Result r = run(checkpoint, config, out, parseChoice(weights), name, graph.chunk,
        allowPickleClasses == null ? Set.of() : new LinkedHashSet<>(allowPickleClasses));
    TokenizerImporter.summary(r).forEach(System.out::println);
    return 0;
  }

  public static TokenizerImporter.Result run(
      Path checkpoint, Path config, Path out, WeightChoice choice, String name, int chunk, Set<String> allowPickleClasses) throws IOException {
    return TokenizerImporter.run(new TokenizerImporter.Request(checkpoint, config, choice, name, chunk, allowPickleClasses), out);
  }

  static WeightChoice parseChoice(String text) {
    return switch (text.toLowerCase(java.util.Locale.ROOT)) {
      case "auto" -> WeightChoice.AUTO;
      case "ema" -> WeightChoice.EMA;
      case "raw" -> WeightChoice.RAW;
      default -> throw new IllegalArgumentException("--weights is '" + text + "'; expected auto, ema or raw.");
    };
  }
}
