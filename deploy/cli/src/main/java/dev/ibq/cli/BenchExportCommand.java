package dev.ibq.cli;

import dev.ibq.training.export.ExportBenchmark;
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
    return ExportBenchmark.run(
        c.checkpoint,
        c.preset,
        new ExportBenchmark.Options(
            c.batches, c.seconds, c.parityImages, c.quantK, c.quantD, c.quantN, c.chunk, c.unchunkedN, c.threads),
        c.results,
        command);
  }
}
