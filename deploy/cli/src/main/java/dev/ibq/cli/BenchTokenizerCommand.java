package dev.ibq.cli;

import dev.ibq.training.tokenizer.train.QuantizerVariant;
import dev.ibq.training.tokenizer.train.TrainingOptions;
import dev.ibq.training.tokenizer.train.UtilizationBenchmark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ./ibq bench-tokenizer}: the paper's utilization table at small scale (a benchmark, not a test). */
@Command(
    name = "bench-tokenizer",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train IBQ and the VQ baseline at several codebook sizes (same preset, steps and seed) on Fashion-MNIST and",
      "report, on the test set with EMA weights: utilization, perplexity, PSNR, SSIM, and training images/s.",
      "Writes RESULTS.md and RESULTS.json (rewritten after every run) and one run directory per run.",
      ""
    })
public final class BenchTokenizerCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--preset", defaultValue = "fmnist-cpu", paramLabel = "NAME", description = "Preset for every run (default: ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--steps", defaultValue = "1500", paramLabel = "N", description = "Steps per run (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--codebook-sizes", split = ",", defaultValue = "1024,4096,16384", paramLabel = "K,...", description = "Codebook sizes (default: ${DEFAULT-VALUE}).")
  List<Integer> codebookSizes;

  @Option(names = "--quantizers", split = ",", defaultValue = "IBQ,VQ", paramLabel = "Q,...",
      description = "Quantizer variants: IBQ, VQ (the paper's) or a named remedy (IBQ-CB10, IBQ-CB100: codebook lr x10 /"
          + " x100) (default: ${DEFAULT-VALUE}).")
  List<String> quantizers;

  @Option(names = "--eval-images", defaultValue = "0", paramLabel = "N", description = "Test images per evaluation (default: all 10000).")
  int evalImages;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Extra override for every run (repeatable).")
  List<String> sets = new ArrayList<>();

  @Option(names = "--runs-dir", defaultValue = "runs/bench-tokenizer", paramLabel = "DIR", description = "Run directories (default: ${DEFAULT-VALUE}).")
  Path runsDir;

  @Option(names = "--results", defaultValue = "training/benchmarks/tokenizer-utilization", paramLabel = "STEM",
      description = "Results file stem; .md and .json are appended (default: ${DEFAULT-VALUE}).")
  Path results;

  @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|gpu", description = "Device (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(names = "--threads", paramLabel = "N", description = "libtorch intra-op threads (default: libtorch's choice).")
  Integer threads;

  @Override
  public Integer call() {
    UtilizationBenchmark.Result result = run(String.join(" ", spec.commandLine().getParseResult().originalArgs()));
    System.out.println("results: " + result.markdown() + " and " + result.json());
    return 0;
  }

  public UtilizationBenchmark.Result run(String arguments) {
    TrainTokenizerCommand.applyThreads(threads);
    List<String> overrides = new ArrayList<>();
    overrides.add("steps=" + steps);
    overrides.add("eval_images=" + evalImages);
    overrides.addAll(sets);
    UtilizationBenchmark.Plan plan = new UtilizationBenchmark.Plan(
        preset, overrides, quantizers.stream().map(QuantizerVariant::get).toList(), codebookSizes, runsDir, results,
        "./ibq " + arguments);
    return UtilizationBenchmark.run(plan, TrainingOptions.defaults().withDevice(device).withProgressBar(true));
  }
}
