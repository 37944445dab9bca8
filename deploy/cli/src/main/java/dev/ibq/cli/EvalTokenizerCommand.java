package dev.ibq.cli;

import ai.djl.ndarray.NDManager;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.training.data.LabelledImages;
import dev.ibq.training.data.TrainingData;
import dev.ibq.training.tokenizer.train.DeviceSelection;
import dev.ibq.training.tokenizer.train.EvaluationResult;
import dev.ibq.training.tokenizer.train.TokenizerCheckpoint;
import dev.ibq.training.tokenizer.train.TokenizerEvaluator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./ibq eval-tokenizer}: test-set figures of a checkpoint's EMA weights. */
@Command(
    name = "eval-tokenizer",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Evaluate a tokenizer checkpoint (EMA weights) on the 10k Fashion-MNIST test set: codebook utilization",
      "(codes used at least once / K), perplexity of code usage, PSNR and SSIM (on [0,1] images, central 28x28),",
      "and a reconstruction grid. Writes evaluation-step-N.json and reconstructions-step-N.png next to the",
      "checkpoints (or into --out) and prints a summary.",
      ""
    })
public final class EvalTokenizerCommand implements Callable<Integer> {

  /** The figures and where they were written. */
  public record Result(EvaluationResult evaluation, Path json) {}

  @Option(names = "--checkpoint", required = true, paramLabel = "PATH", description = "Checkpoint directory, or a run directory (its checkpoints/last).")
  Path checkpoint;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Evaluate only the first N test images (default: all).")
  int limit;

  @Option(names = "--grid", paramLabel = "N", defaultValue = "32", description = "Images in the reconstruction grid (default: ${DEFAULT-VALUE}).")
  int grid;

  @Option(names = "--out", paramLabel = "DIR", description = "Where to write the JSON and PNG (default: the checkpoint's run directory).")
  Path out;

  @Option(names = "--raw", description = "Use the raw trained weights instead of the EMA weights.")
  boolean raw;

  @Option(names = "--device", paramLabel = "auto|cpu|gpu", defaultValue = "auto", description = "Device (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(names = "--threads", paramLabel = "N", description = "libtorch intra-op threads (default: libtorch's choice).")
  Integer threads;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder with the Fashion-MNIST files.")
  Path dataDir;

  @Override
  public Integer call() {
    Result r = run();
    System.out.println(TokenizerEvaluator.summary(r.evaluation()));
    System.out.println("written: " + r.json() + (r.evaluation().grid() == null ? "" : " and " + r.evaluation().grid()));
    return 0;
  }

  public Result run() {
    TrainTokenizerCommand.applyThreads(threads);
    DeviceSelection.Choice choice = DeviceSelection.select(device);
    try (NDManager manager = NDManager.newBaseManager(choice.device())) {
      TokenizerCheckpoint.Loaded loaded = TokenizerCheckpoint.load(checkpoint, manager, !raw);
      // The test split of the data set the checkpoint was trained on (Fashion-MNIST or its image folder).
      LabelledImages test = TrainingData.open(
          loaded.config().dataset(), loaded.preprocessing(), dataDir == null ? FashionMnist.defaultDir() : dataDir).test();
      Path dir = out != null ? out : loaded.directory().getParent().getParent();
      String suffix = "step-" + loaded.step() + (raw ? "-raw" : "");
      EvaluationResult evaluation = TokenizerEvaluator.evaluate(
          loaded.model(), test, new Preprocessor(loaded.preprocessing()), limit, grid, dir.resolve("reconstructions-" + suffix + ".png"),
          loaded.step(), manager);
      Path json = dir.resolve("evaluation-" + suffix + ".json");
      TokenizerEvaluator.writeJson(json, evaluation, loaded.config());
      return new Result(evaluation, json);
    }
  }
}
