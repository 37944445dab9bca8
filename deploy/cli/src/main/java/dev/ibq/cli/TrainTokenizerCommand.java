package dev.ibq.cli;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.training.run.StopRequest;
import dev.ibq.training.tokenizer.train.ConfigFiles;
import dev.ibq.training.tokenizer.train.TokenizerEvaluator;
import dev.ibq.training.tokenizer.train.TokenizerPresets;
import dev.ibq.training.tokenizer.train.TokenizerTrainer;
import dev.ibq.training.tokenizer.train.TokenizerTrainingConfig;
import dev.ibq.training.tokenizer.train.TrainingOptions;
import dev.ibq.training.tokenizer.train.TrainingResult;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./ibq train-tokenizer}: trains (or resumes) an IBQ or VQ tokenizer. */
@Command(
    name = "train-tokenizer",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train the IBQ visual tokenizer (or the VQ baseline) with DJL, on Fashion-MNIST or your own labelled images.",
      "",
      "Your images: --set dataset=folder:/path/to/images (one sub-folder per class, or train/ and val/ as ImageNet),",
      "e.g. with the rgb-cpu preset (64x64 RGB, 8x8 tokens). Ctrl-C or SIGTERM stop after the current step with a",
      "checkpoint (exit 130 / 143); --resume continues with the same data order.",
      "",
      "The run directory gets config.yaml, metrics.jsonl (one JSON line per log interval), reconstructions.png,",
      "curves.png, checkpoints/step-N/ and checkpoints/last, and evaluation.json (EMA weights on the test set).",
      "Presets: fmnist-sharp (the default tokenizer's recipe: 16x16 tokens, about an hour on one core here), fmnist-cpu (IBQ, the paper's losses and optimiser at CPU size),",
      "fmnist-cpu-vq (VQ baseline), rgb-cpu (your RGB folder at 64x64), imagenet-paper (the paper's recipe).",
      "Overrides: --config FILE (YAML, keys nested like config.yaml or dotted) then --set KEY=VALUE, e.g.",
      "  --set architecture.codebook_size=4096 --set losses.entropy=0.1 --set batch_size=16",
      ""
    })
public final class TrainTokenizerCommand implements Callable<Integer> {

  @Option(names = "--preset", paramLabel = "NAME", defaultValue = "fmnist-cpu",
      description = "Preset to start from: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
      completionCandidates = PresetNames.class)
  String preset;

  @Option(names = "--config", paramLabel = "FILE", description = "YAML file overriding known config keys (an unknown key is an error).")
  Path configFile;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config key (repeatable), e.g. architecture.codebook_size=4096.")
  List<String> sets = new ArrayList<>();

  @Option(names = "--steps", paramLabel = "N", description = "Total optimisation steps (also extends a resumed run).")
  Integer steps;

  @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/tokenizer/<preset>-<timestamp>; with --resume, the checkpoint's run).")
  Path out;

  @Option(names = "--resume", paramLabel = "CKPT", description = "Continue from a checkpoint directory (or a run directory: its checkpoints/last). The checkpoint's config is used.")
  Path resume;

  @Option(names = "--device", paramLabel = "auto|cpu|gpu", defaultValue = "auto",
      description = "Device (default: ${DEFAULT-VALUE}); gpu needs the CUDA build (mvn -Pcuda) and falls back to the CPU with a warning.")
  String device;

  @Option(names = "--threads", paramLabel = "N", description = "libtorch intra-op threads (default: libtorch's choice). Use 1 on a busy shared machine.")
  Integer threads;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder with the Fashion-MNIST *-ubyte.gz files (default: $IBQ_FASHION_MNIST or /usr/share/datasets/fashion-mnist).")
  Path dataDir;

  @Option(names = "--no-progress", description = "No live progress line on stderr.")
  boolean noProgress;

  @Option(names = "--no-eval", description = "Skip the final test-set evaluation.")
  boolean noEval;

  @Option(names = "--checkpoint-minutes", paramLabel = "M", defaultValue = "10",
      description = "Also checkpoint when M minutes passed since the last checkpoint (default: ${DEFAULT-VALUE}; 0 = off)."
          + " Ctrl-C or SIGTERM always stop after the current step with a checkpoint.")
  double checkpointMinutes;

  @Override
  public Integer call() {
    TrainingResult result;
    try (StopRequest stop = StopRequest.install()) {
      result = run(stop);
    }
    System.out.println("run directory: " + result.runDir());
    System.out.println("last checkpoint: " + result.lastCheckpoint());
    if (result.stoppedEarly()) {
      System.out.printf(Locale.ROOT, "stopped by SIG%s at step %d of %d; resume with:%n  ./ibq train-tokenizer --resume %s%n",
          result.stoppedBy(), result.finalStep(), result.config().steps(), result.lastCheckpoint());
      return result.stoppedBy().equals("TERM") ? 143 : 130;
    }
    System.out.printf(Locale.ROOT, "steps %d -> %d, %.2f s/step, %.1f images/s on %s%n",
        result.startStep(), result.finalStep(), result.secondsPerStep(), result.imagesPerSecond(), result.device());
    if (result.evaluation() != null) {
      System.out.println(TokenizerEvaluator.summary(result.evaluation()));
    }
    return 0;
  }

  /** Parses the options into a config and trains; returns what the trainer returned. */
  public TrainingResult run() {
    return run(StopRequest.none());
  }

  TrainingResult run(StopRequest stop) {
    applyThreads(threads);
    TrainingOptions options = TrainingOptions.defaults()
        .withDevice(device)
        .withProgressBar(!noProgress)
        .withEvaluate(!noEval)
        .withStop(stop)
        .withCheckpointMinutes(checkpointMinutes);
    if (dataDir != null) {
      options = options.withDataDir(dataDir);
    }
    if (resume != null) {
      if (configFile != null || !sets.isEmpty()) {
        throw new IllegalArgumentException(
            "--resume continues with the checkpoint's own config; --config and --set cannot change it (only --steps can extend it).");
      }
      TokenizerTrainingConfig stepsOnly = steps == null ? null : TokenizerTrainer.resumeConfig(resume).withSteps(steps);
      return TokenizerTrainer.run(stepsOnly, out, options.withResume(resume));
    }
    TokenizerTrainingConfig config = buildConfig(preset, configFile, sets, steps);
    Path runDir = out != null ? out : defaultRunDir(config.preset());
    return TokenizerTrainer.run(config, runDir, options);
  }

  /** Preset, then the YAML file, then the --set assignments, then --steps. */
  static TokenizerTrainingConfig buildConfig(String preset, Path configFile, List<String> sets, Integer steps) {
    TokenizerTrainingConfig config = TokenizerPresets.get(preset);
    Map<String, Object> yaml = configFile == null ? Map.of() : ConfigFiles.readTree(configFile);
    config = config.withOverrides(yaml, configFile == null ? "" : configFile.toString(), sets);
    if (steps != null) {
      config = config.withSteps(steps);
    }
    return config;
  }

  static Path defaultRunDir(String preset) {
    return Path.of("runs", "tokenizer", preset + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
  }

  /** Sets libtorch's intra-op thread count; must run before the engine is first used. */
  static void applyThreads(Integer threads) {
    if (threads != null) {
      if (threads < 1) {
        throw new IllegalArgumentException("--threads is " + threads + "; it must be at least 1.");
      }
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
  }

  /** Preset names for --help. */
  static final class PresetNames extends ArrayList<String> {
    PresetNames() {
      super(TokenizerPresets.names());
    }
  }

  static Path defaultDataDir() {
    return FashionMnist.defaultDir();
  }
}
