package dev.ibq.cli;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.training.autoregressive.eval.ClassifierTrainer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./ibq train-classifier}: the Fashion-MNIST classifier behind class accuracy and domain FID. */
@Command(
    name = "train-classifier",
    mixinStandardHelpOptions = true,
    description = {
      "Train a small CNN on the real Fashion-MNIST training split (the project's shared preprocessing) and",
      "report its test accuracy. 'generate --classifier' uses it for the class accuracy of samples and for the",
      "domain FID (Frechet distance of its penultimate features; not comparable with ImageNet FID)."
    })
public final class TrainClassifierCommand implements Callable<Integer> {

  @Option(names = "--out", defaultValue = "runs/classifier/fmnist-classifier.bin", description = "Checkpoint (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--decoder", description = "Take the preprocessing from this tokenizer decoder.onnx (default: Fashion-MNIST 32x32).")
  Path decoder;

  @Option(names = "--epochs", defaultValue = "3", description = "Epochs (default ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--batch-size", defaultValue = "64", description = "Batch size (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default ${DEFAULT-VALUE}).")
  float learningRate;

  @Option(names = "--seed", defaultValue = "0", description = "Seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--train-limit", defaultValue = "0", description = "Use at most this many training images, 0 = all (default ${DEFAULT-VALUE}).")
  int trainLimit;

  @Option(names = "--test-limit", defaultValue = "0", description = "Evaluate on at most this many test images, 0 = all (default ${DEFAULT-VALUE}).")
  int testLimit;

  @Override
  public Integer call() {
    ClassifierTrainer.Result result = run();
    System.out.printf(
        Locale.ROOT, "classifier test accuracy %.4f on %d real test images (trained on %d, %.0f s)%ncheckpoint %s%n",
        result.testAccuracy(), result.testImages(), result.trainImages(), result.seconds(), result.checkpoint());
    return 0;
  }

  public ClassifierTrainer.Result run() {
    PreprocessingSpec spec = PreprocessingSpec.fashionMnist32();
    if (decoder != null) {
      try (OnnxDecoder d = OnnxDecoder.open(decoder)) {
        spec = PreprocessingSpec.parse(d.info().preprocessingDescriptor());
      }
    }
    return ClassifierTrainer.run(
        new ClassifierTrainer.Options(spec, epochs, batchSize, learningRate, seed, trainLimit, testLimit), out);
  }
}
