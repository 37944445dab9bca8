package dev.ibq.cli;

import dev.ibq.training.autoregressive.ArBenchmark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./ibq bench-ar}: the AR benchmark; figures go to a JSON and a Markdown results file. */
@Command(
    name = "bench-ar",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmark the AR model on the Fashion-MNIST tokens of one or more tokenizers (same AR preset, steps and",
      "seed for each): validation bits/token, class accuracy and domain FID of samples without and with guidance",
      "(next to the real images and the tokenizer's reconstructions), sampling tokens/s with and without the KV",
      "cache, and a PNG grid of guided samples per tokenizer."
    })
public final class BenchArCommand implements Callable<Integer> {

  @Option(
      names = "--tokenizer",
      paramLabel = "NAME=DIR",
      description = {
        "A tokenizer to benchmark: a short name and an export folder holding encoder.onnx and decoder.onnx.",
        "Repeat it to compare tokenizers (e.g. ibq=... vq=...) with the same AR settings and seed."
      })
  List<String> tokenizers = new ArrayList<>();

  @Option(names = "--encoder", description = "encoder.onnx of a single tokenizer (instead of --tokenizer).")
  Path encoder;

  @Option(names = "--decoder", description = "decoder.onnx of that tokenizer (with --encoder).")
  Path decoder;

  @Option(names = "--preset", defaultValue = "fmnist-cpu", description = "AR preset (default ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--train-images", defaultValue = "0", description = "Training images to tokenize, 0 = all (default ${DEFAULT-VALUE}).")
  int trainImages;

  @Option(names = "--test-images", defaultValue = "0", description = "Test images to tokenize, 0 = all (default ${DEFAULT-VALUE}).")
  int testImages;

  @Option(names = "--steps", defaultValue = "2000", description = "AR training steps (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--batch-size", defaultValue = "64", description = "AR batch size (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--cfg", defaultValue = "2.0", description = "Guidance scale of the guided figures (default ${DEFAULT-VALUE}).")
  float cfg;

  @Option(names = "--per-class", defaultValue = "50", description = "Samples per class for accuracy and domain FID (default ${DEFAULT-VALUE}).")
  int perClass;

  @Option(names = "--classifier", description = "Existing classifier checkpoint (default: train one).")
  Path classifier;

  @Option(names = "--classifier-epochs", defaultValue = "3", description = "Epochs when training the classifier (default ${DEFAULT-VALUE}).")
  int classifierEpochs;

  @Option(names = "--speed-rows", defaultValue = "10", description = "Rows sampled for the tokens/s figures (default ${DEFAULT-VALUE}).")
  int speedRows;

  @Option(names = "--work-dir", defaultValue = "runs/ar-benchmark", description = "Working folder (default ${DEFAULT-VALUE}).")
  Path workDir;

  @Option(names = "--results", defaultValue = "training/benchmarks/autoregressive", description = "Results path without extension (default ${DEFAULT-VALUE}).")
  Path results;

  @Override
  public Integer call() {
    Map<String, Object> figures = run();
    figures.forEach((k, v) -> System.out.println(k + ": " + v));
    System.out.println("results " + results + ".json / .md");
    return 0;
  }

  public Map<String, Object> run() {
    List<ArBenchmark.Tokenizer> list = tokenizerList();
    StringBuilder which = new StringBuilder();
    if (tokenizers.isEmpty()) {
      which.append(" --encoder ").append(encoder).append(" --decoder ").append(decoder);
    } else {
      tokenizers.forEach(t -> which.append(" --tokenizer ").append(t));
    }
    String command =
        String.format(
            "./ibq bench-ar%s --preset %s --train-images %d --test-images %d --steps %d"
                + " --batch-size %d --cfg %s --per-class %d%s --classifier-epochs %d --speed-rows %d --results %s",
            which, preset, trainImages, testImages, steps, batchSize, cfg, perClass,
            classifier == null ? "" : " --classifier " + classifier, classifierEpochs, speedRows, results);
    return ArBenchmark.run(
        new ArBenchmark.Options(
            list, preset, trainImages, testImages, steps, batchSize, cfg, perClass, classifier,
            classifierEpochs, speedRows, workDir, results, command));
  }

  private List<ArBenchmark.Tokenizer> tokenizerList() {
    if (tokenizers.isEmpty() == (encoder == null)) {
      throw new IllegalArgumentException(
          "Give either --tokenizer NAME=DIR (repeatable) or --encoder and --decoder, not both and not neither.");
    }
    List<ArBenchmark.Tokenizer> list = new ArrayList<>();
    if (encoder != null) {
      if (decoder == null) {
        throw new IllegalArgumentException("--encoder needs --decoder (the decoder.onnx of the same tokenizer).");
      }
      list.add(new ArBenchmark.Tokenizer("tokenizer", encoder, decoder));
      return list;
    }
    for (String spec : tokenizers) {
      int eq = spec.indexOf('=');
      if (eq <= 0 || eq == spec.length() - 1) {
        throw new IllegalArgumentException("--tokenizer takes NAME=DIR (e.g. ibq=runs/export/ibq); got '" + spec + "'.");
      }
      Path dir = Path.of(spec.substring(eq + 1));
      Path enc = dir.resolve("encoder.onnx");
      Path dec = dir.resolve("decoder.onnx");
      if (!Files.isRegularFile(enc) || !Files.isRegularFile(dec)) {
        throw new IllegalArgumentException(
            "--tokenizer " + spec + ": " + dir + " must hold encoder.onnx and decoder.onnx (made by ./ibq export).");
      }
      list.add(new ArBenchmark.Tokenizer(spec.substring(0, eq), enc, dec));
    }
    return list;
  }
}
