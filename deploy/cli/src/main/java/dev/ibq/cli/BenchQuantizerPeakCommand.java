package dev.ibq.cli;

import dev.ibq.training.export.QuantizerPeakBenchmark;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./ibq bench-quantizer-peak}: the K = 2^18, D = 256 quantizer graphs against this core's float32 peak
 * (OpenBLAS sgemm and an FMA loop in the widest vectors of this CPU, AVX-512 or AVX2, compiled at run time), in interleaved rounds.
 */
@Command(
    name = "bench-quantizer-peak",
    mixinStandardHelpOptions = true,
    description = "Benchmark the large-K quantizer graphs against the core's float32 peak (OpenBLAS sgemm, FMA loop in the CPU's widest vectors).")
public final class BenchQuantizerPeakCommand implements Callable<Integer> {

  @Option(names = "--quant-k", defaultValue = "262144", description = "K (default ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--quant-d", defaultValue = "256", description = "D (default ${DEFAULT-VALUE}).")
  int d;

  @Option(names = "--quant-n", defaultValue = "2048", description = "Token positions per call (default ${DEFAULT-VALUE}).")
  int n;

  @Option(names = "--chunks", split = ",", defaultValue = "8192,2048,32768",
      description = "Chunk sizes of the float32 graph; the first is the agreement reference (default ${DEFAULT-VALUE}).")
  List<Integer> chunks;

  @Option(names = "--coarse-chunk", defaultValue = "8192", description = "Chunk of the int8 coarse variant; 0 = skip (default ${DEFAULT-VALUE}).")
  int coarseChunk;

  @Option(names = "--per-chunk", defaultValue = "4", description = "Coarse candidates kept per chunk (default ${DEFAULT-VALUE}).")
  int perChunk;

  @Option(names = "--candidates", defaultValue = "16", description = "Candidates rescored in float32 (default ${DEFAULT-VALUE}).")
  int candidates;

  @Option(names = "--rounds", defaultValue = "3", description = "Interleaved timing rounds (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--gemm-n", defaultValue = "4096", description = "Side of the square sgemm (default ${DEFAULT-VALUE}).")
  int gemmN;

  @Option(names = "--agreement-calls", defaultValue = "4", description = "Batches of N positions for token agreement (default ${DEFAULT-VALUE}).")
  int agreementCalls;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--results", defaultValue = "training/benchmarks/quantizer-peak", description = "Results path without extension (default ${DEFAULT-VALUE}).")
  Path results;

  @Override
  public Integer call() throws Exception {
    String command = "./ibq bench-quantizer-peak --quant-k " + k + " --quant-d " + d + " --quant-n " + n + " --chunks "
        + String.join(",", chunks.stream().map(String::valueOf).toList()) + " --coarse-chunk " + coarseChunk
        + " --per-chunk " + perChunk + " --candidates " + candidates + " --rounds " + rounds + " --gemm-n " + gemmN
        + " --agreement-calls " + agreementCalls + " --threads " + threads;
    QuantizerPeakBenchmark.run(
        new QuantizerPeakBenchmark.Options(
            k, d, n, chunks, coarseChunk, perChunk, candidates, rounds, gemmN, agreementCalls, threads),
        results, command);
    System.out.println("results written to " + results + ".md and " + results + ".json");
    return 0;
  }
}
