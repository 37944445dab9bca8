package dev.ibq.training.export;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.ibq.training.tokenizer.train.ConfigFiles;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.train.TokenizerCheckpoint;
import dev.ibq.training.tokenizer.train.TokenizerPresets;
import dev.ibq.training.tokenizer.train.TokenizerTrainer;
import dev.ibq.training.tokenizer.train.TokenizerTrainingConfig;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The export use case ({@code ./ibq export}, and the demo when it trains a tokenizer): a training checkpoint's EMA
 * weights and stored config, or an untrained model of a preset, to encoder.onnx, decoder.onnx and a model card,
 * optionally followed by the ONNX-vs-DJL parity check on Fashion-MNIST test images.
 */
public final class TokenizerExport {

  private TokenizerExport() {}

  /**
   * What to export.
   *
   * @param checkpoint a checkpoint directory or a run directory (uses checkpoints/last); null with {@code randomInit}
   * @param randomInit a preset to export UNTRAINED (tests and plumbing only: its tokens mean nothing); null with
   *     {@code checkpoint}
   * @param seed the random seed for {@code randomInit}
   * @param out the output directory
   * @param name the tokenizer name in the metadata; null = preset and step ({@code ibq-fmnist-cpu-step1})
   * @param chunk codes per in-graph argmax chunk (bounds memory for large K)
   * @param parityImages Fashion-MNIST test images to compare ONNX and DJL on after exporting (0 = skip)
   */
  public record Options(
      Path checkpoint, String randomInit, long seed, Path out, String name, int chunk, int parityImages,
      TokenizerExporter.CoarseRerank coarseRerank) {

    /** The exact token search. */
    public Options(Path checkpoint, String randomInit, long seed, Path out, String name, int chunk, int parityImages) {
      this(checkpoint, randomInit, seed, out, name, chunk, parityImages, null);
    }

    public Options {
      if ((checkpoint == null) == (randomInit == null)) {
        throw new IllegalArgumentException(
            "Export needs exactly one source: a checkpoint (--checkpoint) or a preset to export untrained (--random-init);"
                + " got " + (checkpoint == null ? "neither" : "both") + ".");
      }
      if (out == null) {
        throw new IllegalArgumentException("Export needs an output directory (--out).");
      }
      if (chunk <= 0) {
        throw new IllegalArgumentException("The quantizer chunk is " + chunk + " codes; expected a positive number.");
      }
      if (parityImages < 0) {
        throw new IllegalArgumentException("The parity check was asked for " + parityImages + " images; expected 0 (skip) or more.");
      }
    }

    /** A checkpoint's EMA weights to {@code out}, default name and chunk, no parity check. */
    public static Options ofCheckpoint(Path checkpoint, Path out) {
      return new Options(checkpoint, null, 0, out, null, TokenizerExporter.DEFAULT_CHUNK, 0);
    }
  }

  /** What was written, and the parity result when asked for (else null). */
  public record Result(TokenizerExporter.Exported exported, ParityCheck.Result parity) {}

  /** Exports, runs the parity check when asked for, writes the model card. */
  public static Result run(Options o) throws IOException {
    try (NDManager manager = NDManager.newBaseManager()) {
      TokenizerTrainingConfig config;
      PreprocessingSpec spec;
      IbqTokenizerModel model;
      String source;
      String defaultName;
      if (o.checkpoint() != null) {
        TokenizerCheckpoint.Loaded loaded = TokenizerCheckpoint.load(o.checkpoint(), manager);
        config = loaded.config();
        spec = loaded.preprocessing();
        model = loaded.model();
        source = "checkpoint " + relative(loaded.directory()) + " (EMA weights, step " + loaded.step() + ")";
        defaultName = "ibq-" + config.preset() + "-step" + loaded.step();
      } else {
        config = TokenizerPresets.get(o.randomInit());
        spec = TokenizerTrainer.preprocessingSpec(config);
        Engine.getInstance().setRandomSeed((int) o.seed());
        model = IbqTokenizerModel.create(config.architecture(), manager);
        source = "random init of preset " + o.randomInit() + " (seed " + o.seed() + "; UNTRAINED)";
        defaultName = "ibq-" + o.randomInit() + "-random-init";
      }
      String configJson = ConfigFiles.toJson(config); // the snake_case document --config reads
      TokenizerExporter.Exported exported =
          TokenizerExporter.export(
              model,
              new TokenizerExporter.Description(
                  o.name() == null ? defaultName : o.name(), spec.toCanonicalString(), configJson, o.chunk(),
                  o.coarseRerank()),
              o.out());
      ParityCheck.Result parity = null;
      if (o.parityImages() > 0) {
        float[] images = ParityCheck.fashionMnist(FashionMnist.Split.TEST, o.parityImages(), spec);
        parity = ParityCheck.run(
            model, o.out(), images, o.parityImages(), 32, new OnnxTokenizer.Options(ExecutionProvider.CPU, 0, 0));
      }
      ModelCard.write(o.out(), exported, source, parity);
      return new Result(exported, parity);
    }
  }

  /** {@code path} relative to the working directory when it lies under it (keeps model cards free of home paths). */
  public static Path relative(Path path) {
    Path cwd = Path.of("").toAbsolutePath();
    Path abs = path.toAbsolutePath().normalize();
    return abs.startsWith(cwd) ? cwd.relativize(abs) : abs;
  }
}
