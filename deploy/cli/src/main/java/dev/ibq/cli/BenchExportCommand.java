package dev.ibq.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.training.export.ExportBenchmark;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.train.TokenizerCheckpoint;
import dev.ibq.training.tokenizer.train.TokenizerPresets;
import dev.ibq.training.tokenizer.train.TokenizerTrainer;
import dev.ibq.training.tokenizer.train.TokenizerTrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./ibq bench-export}: ONNX Runtime vs DJL encode throughput on the same weights, the quantizer alone
 * at K = 2^18, D = 256 against the measured MatMul peak, and full parity on the Fashion-MNIST test set.
 */
@Command(
    name = "bench-export",
    mixinStandardHelpOptions = true,
    description = "Benchmark the ONNX export: encode images/s ONNX Runtime vs DJL, the large-K quantizer vs the MatMul peak, parity.")
public final class BenchExportCommand implements Callable<Integer> {

  @Option(names = "--checkpoint", paramLabel = "CKPT", description = "Trained checkpoint (default: random init of --preset).")
  Path checkpoint;

  @Option(names = "--preset", defaultValue = "fmnist-cpu", description = "Preset for a random-init model (default ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--batches", split = ",", defaultValue = "1,8,32,128", description = "Encode batch sizes (default ${DEFAULT-VALUE}).")
  List<Integer> batches;

  @Option(names = "--seconds", defaultValue = "4", description = "Measuring time per point (default ${DEFAULT-VALUE}).")
  double seconds;

  @Option(names = "--parity-images", defaultValue = "10000", description = "Test images for the parity check (default ${DEFAULT-VALUE}; 0 = skip).")
  int parityImages;

  @Option(names = "--quant-k", defaultValue = "262144", description = "K of the quantizer benchmark (default ${DEFAULT-VALUE}).")
  int quantK;

  @Option(names = "--quant-d", defaultValue = "256", description = "D of the quantizer benchmark (default ${DEFAULT-VALUE}).")
  int quantD;

  @Option(names = "--quant-n", defaultValue = "2048", description = "Token positions per quantizer call (default ${DEFAULT-VALUE}).")
  int quantN;

  @Option(names = "--chunk", defaultValue = "8192", description = "Codes per quantizer chunk (default ${DEFAULT-VALUE}).")
  int chunk;

  @Option(names = "--unchunked-n", defaultValue = "1024", description = "Positions for the unchunked memory comparison (0 = skip).")
  int unchunkedN;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description = {
        "Intra-op threads for BOTH engines (ONNX Runtime and libtorch), default ${DEFAULT-VALUE}; 0 = each engine's default.",
        "Equal counts keep the comparison fair; on a shared machine libtorch's OpenMP spin-waiting with more",
        "threads than free cores slows it down by an order of magnitude."
      })
  int threads;

  @Option(names = "--results", defaultValue = "training/benchmarks/export", description = "Results path without extension (default ${DEFAULT-VALUE}).")
  Path results;

  @Override
  public Integer call() throws Exception {
    run(this, "./ibq bench-export " + String.join(" ", args()));
    System.out.println("results written to " + results + ".md and " + results + ".json");
    return 0;
  }

  private List<String> args() {
    List<String> a = new java.util.ArrayList<>();
    if (checkpoint != null) {
      a.add("--checkpoint " + checkpoint);
    } else {
      a.add("--preset " + preset);
    }
    a.add("--batches " + String.join(",", batches.stream().map(String::valueOf).toList()));
    a.add("--seconds " + seconds);
    a.add("--parity-images " + parityImages);
    a.add("--quant-k " + quantK + " --quant-d " + quantD + " --quant-n " + quantN + " --chunk " + chunk);
    a.add("--unchunked-n " + unchunkedN);
    a.add("--threads " + threads);
    return a;
  }

  public static ExportBenchmark.Result run(BenchExportCommand c, String command) throws Exception {
    if (c.threads > 0) {
      // Must precede the first DJL call: libtorch reads it when the engine starts.
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(c.threads));
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      IbqTokenizerModel model;
      PreprocessingSpec spec;
      String description;
      if (c.checkpoint != null) {
        TokenizerCheckpoint.Loaded loaded = TokenizerCheckpoint.load(c.checkpoint, manager);
        model = loaded.model();
        spec = loaded.preprocessing();
        description = "trained checkpoint " + ExportCommand.relative(loaded.directory()) + " (EMA weights, step " + loaded.step() + ", preset "
            + loaded.config().preset() + ")";
      } else {
        TokenizerTrainingConfig config = TokenizerPresets.get(c.preset);
        Engine.getInstance().setRandomSeed(42);
        model = IbqTokenizerModel.create(config.architecture(), manager);
        spec = TokenizerTrainer.preprocessingSpec(config);
        description = "random init of preset " + c.preset + " (throughput does not depend on the weight values)";
      }
      Path work = Files.createTempDirectory("ibq-bench-export");
      return ExportBenchmark.run(
          model,
          description + "; " + model.architecture(),
          spec,
          work,
          new ExportBenchmark.Options(
              c.batches, c.seconds, c.parityImages, c.quantK, c.quantD, c.quantN, c.chunk, c.unchunkedN, c.threads),
          c.results,
          command);
    }
  }
}
