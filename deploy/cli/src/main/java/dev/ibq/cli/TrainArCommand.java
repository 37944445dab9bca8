package dev.ibq.cli;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.training.autoregressive.ArConfig;
import dev.ibq.training.autoregressive.ArPreset;
import dev.ibq.training.autoregressive.ArTrainConfig;
import dev.ibq.training.autoregressive.ArTrainer;
import dev.ibq.training.autoregressive.data.KafkaTokenSource;
import dev.ibq.training.autoregressive.data.TokenDataset;
import dev.ibq.training.autoregressive.data.TokenRecordFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./ibq train-ar}: trains the class-conditional AR transformer on token records (stage 2). */
@Command(
    name = "train-ar",
    mixinStandardHelpOptions = true,
    description = {
      "Train the class-conditional autoregressive transformer (Llama-style, 2-D RoPE, AdaLN) on token records",
      "from an Avro file written by './ibq encode' or from the Kafka token topic (a bounded read).",
      "Writes checkpoints/step-N (and checkpoints/last), metrics.jsonl and loss-curve.png to --out."
    })
public final class TrainArCommand implements Callable<Integer> {

  static final class Source {
    @Option(names = "--tokens", description = "Avro container file of TokenRecords (./ibq encode).")
    Path tokens;

    @Option(names = "--kafka-topic", description = "Read the token records from this Kafka topic instead.")
    String kafkaTopic;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--bootstrap", defaultValue = "localhost:9092", description = "Kafka brokers (default ${DEFAULT-VALUE}).")
  String kafkaBootstrap;

  @Option(names = "--validation-tokens", description = "Separate validation records (Avro file); default: hold out --validation-fraction.")
  Path validationTokens;

  @Option(names = "--preset", defaultValue = "fmnist-cpu", description = "Model shape: fmnist-cpu, B, L, XL, XXL (default ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--num-classes", description = "Classes (default: largest label + 1 in the records).")
  Integer numClasses;

  @Option(names = "--steps", defaultValue = "2000", description = "Optimizer steps (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--batch-size", defaultValue = "64", description = "Sequences per step (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--lr", defaultValue = "3e-4", description = "Peak learning rate (default ${DEFAULT-VALUE}).")
  float learningRate;

  @Option(names = "--warmup", description = "Warm-up steps (default: 5% of --steps).")
  Integer warmup;

  @Option(names = "--eval-every", defaultValue = "200", description = "Steps between validations (default ${DEFAULT-VALUE}).")
  int evalEvery;

  @Option(names = "--checkpoint-every", defaultValue = "200", description = "Steps between checkpoints (default ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Option(names = "--validation-fraction", defaultValue = "0.05", description = "Held-out fraction (default ${DEFAULT-VALUE}).")
  float validationFraction;

  @Option(names = "--seed", defaultValue = "0", description = "Seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--resume", description = "Continue from checkpoints/last in --out.")
  boolean resume;

  @Option(names = "--out", defaultValue = "runs/ar", description = "Output folder (default ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() {
    ArTrainer.Result result = run();
    System.out.printf(
        Locale.ROOT,
        "trained %d steps: validation NLL %.4f bits/token, final train %.4f bits/token, %.0f tokens/s%n"
            + "checkpoint %s%nmetrics %s%nloss curve %s%n",
        result.steps(), result.validationBitsPerToken(), result.finalTrainBitsPerToken(),
        result.trainTokensPerSecond(), result.checkpoint(), result.metrics(), result.lossCurve());
    return 0;
  }

  public ArTrainer.Result run() {
    TokenDataset data =
        source.tokens != null
            ? TokenRecordFiles.read(source.tokens)
            : KafkaTokenSource.read(kafkaBootstrap, source.kafkaTopic, Map.of(), Duration.ofMinutes(10));
    int classes = numClasses != null ? numClasses : data.numClasses();
    ArConfig config =
        ArPreset.byId(preset).config(data.codebookSize(), data.gridHeight(), data.gridWidth(), classes);
    int warmupSteps = warmup != null ? warmup : Math.max(1, steps / 20);
    ArTrainConfig train =
        new ArTrainConfig(
            steps, batchSize, learningRate, warmupSteps, 0.05f, 0.9f, 0.95f, 1.0f, seed, evalEvery, checkpointEvery,
            validationTokens == null ? validationFraction : 0f);
    // NOTE: ten classes are taken to be Fashion-MNIST's (the project's data set); names only label the sample grid.
    List<String> names = classes == FashionMnist.CLASS_NAMES.size() ? FashionMnist.CLASS_NAMES : List.of();
    if (validationTokens != null) {
      TokenDataset validation = TokenRecordFiles.read(validationTokens);
      return ArTrainer.run(config, train, data, validation, out, resume, names);
    }
    return ArTrainer.run(config, train, data, out, resume, names);
  }
}
