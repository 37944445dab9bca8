package dev.ibq.training.cli;

import dev.ibq.training.autoregressive.ArBenchmark;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./ibq bench-ar}: the AR benchmark; figures go to a JSON and a Markdown results file. */
@Command(
    name = "bench-ar",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmark the AR model on a tokenizer's Fashion-MNIST tokens: validation bits/token, class accuracy and",
      "domain FID of samples without and with guidance, sampling tokens/s with and without the KV cache."
    })
public final class BenchArCommand implements Callable<Integer> {

  @Option(names = "--encoder", required = true, description = "encoder.onnx of the tokenizer.")
  Path encoder;

  @Option(names = "--decoder", required = true, description = "decoder.onnx of the same tokenizer.")
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
    String command =
        String.format(
            "./ibq bench-ar --encoder %s --decoder %s --preset %s --train-images %d --test-images %d --steps %d"
                + " --batch-size %d --cfg %s --per-class %d%s --classifier-epochs %d --speed-rows %d",
            encoder, decoder, preset, trainImages, testImages, steps, batchSize, cfg, perClass,
            classifier == null ? "" : " --classifier " + classifier, classifierEpochs, speedRows);
    return ArBenchmark.run(
        new ArBenchmark.Options(
            encoder, decoder, preset, trainImages, testImages, steps, batchSize, cfg, perClass, classifier,
            classifierEpochs, speedRows, workDir, results, command));
  }
}
