package dev.ibq.cli;

import dev.ibq.training.export.TokenizerFidelity;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./ibq bench-fidelity}: an exported tokenizer's PSNR, utilization and class fidelity on the test set. */
@Command(
    name = "bench-fidelity",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Measure an exported tokenizer through its ONNX files on the 10k Fashion-MNIST test images: codebook",
      "utilization, PSNR/SSIM of the reconstructions, and the class accuracy of the project's classifier on the",
      "real images vs their reconstructions (plus the reconstructions' domain FID). Writes RESULTS.md and .json.",
      ""
    })
public final class BenchFidelityCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Export directory (encoder.onnx + decoder.onnx).")
  Path model;

  @Option(names = "--classifier", paramLabel = "FILE", defaultValue = "runs/classifier/fmnist-classifier.bin",
      description = "Classifier checkpoint; trained first (train-classifier's recipe) when missing (default: ${DEFAULT-VALUE}).")
  Path classifier;

  @Option(names = "--classifier-epochs", defaultValue = "3", description = "Epochs when the classifier must be trained (default: ${DEFAULT-VALUE}).")
  int classifierEpochs;

  @Option(names = "--batch-size", defaultValue = "64", description = "Images per ONNX Runtime call (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--results", paramLabel = "PATH", defaultValue = "runs/bench-fidelity/fidelity",
      description = "Results path without extension (default: ${DEFAULT-VALUE}).")
  Path results;

  @Override
  public Integer call() {
    String command = "./ibq bench-fidelity --model " + model + " --classifier " + classifier + " --results " + results;
    Map<String, Object> r = TokenizerFidelity.run(model, classifier, classifierEpochs, batch, results, command);
    System.out.printf(Locale.ROOT,
        "utilization %.1f%% (%s of %s codes), PSNR %.2f dB, SSIM %.3f; class accuracy real %.4f vs reconstructions %.4f"
            + " (gap %.1f points), domain FID %.2f%nwritten: %s.md and .json%n",
        100 * (double) r.get("utilization"), r.get("used_codes"), r.get("codebook_size"), (double) r.get("psnr_db"),
        (double) r.get("ssim"), (double) r.get("real_class_accuracy"), (double) r.get("reconstruction_class_accuracy"),
        (double) r.get("accuracy_gap_points"), (double) r.get("reconstruction_domain_fid"), results);
    return 0;
  }
}
