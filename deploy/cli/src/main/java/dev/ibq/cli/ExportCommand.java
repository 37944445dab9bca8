package dev.ibq.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.training.export.ModelCard;
import dev.ibq.training.export.ParityCheck;
import dev.ibq.training.export.TokenizerExporter;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.train.ConfigFiles;
import dev.ibq.training.tokenizer.train.TokenizerCheckpoint;
import dev.ibq.training.tokenizer.train.TokenizerPresets;
import dev.ibq.training.tokenizer.train.TokenizerTrainer;
import dev.ibq.training.tokenizer.train.TokenizerTrainingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
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

  @Option(
      names = "--quantizer-chunk",
      defaultValue = "" + TokenizerExporter.DEFAULT_CHUNK,
      description = "Codes per in-graph argmax chunk (default ${DEFAULT-VALUE}); bounds memory for large K.")
  int chunk;

  @Option(
      names = "--parity",
      defaultValue = "0",
      paramLabel = "N",
      description = "After exporting, compare ONNX and DJL on the first N Fashion-MNIST test images (0 = skip).")
  int parity;

  /** What was written, and the parity result when asked for. */
  public record Result(TokenizerExporter.Exported exported, ParityCheck.Result parity) {}

  @Override
  public Integer call() throws IOException {
    Result r = run(source.checkpoint, source.randomInit, seed, out, name, chunk, parity);
    System.out.println("wrote " + r.exported().encoder() + " and " + r.exported().decoder());
    System.out.println("tokenizer id " + r.exported().tokenizerId());
    if (r.parity() != null) {
      System.out.println("parity: " + r.parity().summary());
      return r.parity().passed() ? 0 : 2;
    }
    return 0;
  }

  public static Result run(Path checkpoint, String randomInit, long seed, Path out, String name, int chunk, int parityImages)
      throws IOException {
    try (NDManager manager = NDManager.newBaseManager()) {
      TokenizerTrainingConfig config;
      PreprocessingSpec spec;
      IbqTokenizerModel model;
      String source;
      String defaultName;
      if (checkpoint != null) {
        TokenizerCheckpoint.Loaded loaded = TokenizerCheckpoint.load(checkpoint, manager);
        config = loaded.config();
        spec = loaded.preprocessing();
        model = loaded.model();
        source = "checkpoint " + relative(loaded.directory()) + " (EMA weights, step " + loaded.step() + ")";
        defaultName = "ibq-" + config.preset() + "-step" + loaded.step();
      } else {
        config = TokenizerPresets.get(randomInit);
        spec = TokenizerTrainer.preprocessingSpec(config);
        Engine.getInstance().setRandomSeed((int) seed);
        model = IbqTokenizerModel.create(config.architecture(), manager);
        source = "random init of preset " + randomInit + " (seed " + seed + "; UNTRAINED)";
        defaultName = "ibq-" + randomInit + "-random-init";
      }
      String configJson = ConfigFiles.toJson(config);
      TokenizerExporter.Exported exported =
          TokenizerExporter.export(
              model,
              new TokenizerExporter.Description(name == null ? defaultName : name, spec.toCanonicalString(), configJson, chunk),
              out);
      ParityCheck.Result parity = null;
      if (parityImages > 0) {
        float[] images = ParityCheck.fashionMnist(FashionMnist.Split.TEST, parityImages, spec);
        parity = ParityCheck.run(model, out, images, parityImages, 32, new OnnxTokenizer.Options(ExecutionProvider.CPU, 0, 0));
      }
      ModelCard.write(out, exported, source, parity);
      return new Result(exported, parity);
    }
  }

  /** {@code path} relative to the working directory when it lies under it (keeps model cards free of home paths). */
  static Path relative(Path path) {
    Path cwd = Path.of("").toAbsolutePath();
    Path abs = path.toAbsolutePath().normalize();
    return abs.startsWith(cwd) ? cwd.relativize(abs) : abs;
  }
}
