package dev.ibq.cli;

import dev.ibq.training.export.TokenizerExport;
import dev.ibq.training.export.TokenizerExporter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./ibq export --checkpoint CKPT --out DIR}: writes encoder.onnx, decoder.onnx and a model card from a
 * training checkpoint's EMA weights and stored config. {@code --random-init PRESET} exports an untrained
 * model instead (for tests and plumbing only; its tokens mean nothing).
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Export a trained tokenizer (EMA weights) to ONNX: encoder.onnx (images -> token ids),",
      "decoder.onnx (token ids -> images) and model-card.{json,md}, with the tokenizer metadata in both models."
    })
public final class ExportCommand implements Callable<Integer> {

  static final class Source {
    @Option(names = "--checkpoint", paramLabel = "CKPT", description = "A checkpoint directory or a run directory (uses checkpoints/last).")
    Path checkpoint;

    @Option(names = "--random-init", paramLabel = "PRESET", description = "Export an UNTRAINED model of this preset (tests only).")
    String randomInit;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
  Path out;

  @Option(names = "--name", description = "Tokenizer name in the metadata (default: preset and step).")
  String name;

  @Option(names = "--seed", defaultValue = "42", description = "Seed for --random-init (default ${DEFAULT-VALUE}).")
  long seed;

  @Mixin QuantizerChunkOption graph;

  @Option(
      names = "--quantizer-coarse-rerank",
      paramLabel = "T,C",
      description = {
        "IBQ only, off by default: search the codes with int8 scores (ONNX Runtime MatMulInteger), keep T per chunk,",
        "rescore the best C in float32 (e.g. 4,16). About 2.2x the exact search at K = 2^18; tokens can differ from the exact",
        "argmax on rare near-ties (training/benchmarks/quantizer-peak.md)."
      })
  String coarseRerank;

  @Option(
      names = "--parity",
      defaultValue = "0",
      paramLabel = "N",
      description = "After exporting, compare ONNX and DJL on the first N Fashion-MNIST test images (0 = skip).")
  int parity;

  @Override
  public Integer call() throws IOException {
    TokenizerExport.Result r =
        TokenizerExport.run(new TokenizerExport.Options(source.checkpoint, source.randomInit, seed, out, name, graph.chunk, parity,
            coarseRerank == null ? null : TokenizerExporter.CoarseRerank.parse(coarseRerank)));
    System.out.println("wrote " + r.exported().encoder() + " and " + r.exported().decoder());
    System.out.println("tokenizer id " + r.exported().tokenizerId());
    if (r.parity() != null) {
      System.out.println("parity: " + r.parity().summary());
      return r.parity().passed() ? 0 : 2;
    }
    return 0;
  }
}
