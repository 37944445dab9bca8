package dev.ibq.cli;

import dev.ibq.training.autoregressive.ArGenerator;
import dev.ibq.training.autoregressive.SamplingOptions;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./ibq generate}: samples images of every class from an AR checkpoint. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Sample token grids from an AR checkpoint (KV cache, classifier-free guidance), decode them with the",
      "tokenizer's decoder.onnx and write a PNG grid with one labelled row per class. With --classifier, also",
      "report the class accuracy and the domain FID of the samples (not comparable with ImageNet FID)."
    })
public final class GenerateCommand implements Callable<Integer> {

  @Option(names = "--checkpoint", required = true, description = "AR checkpoint: the --out folder of train-ar (its checkpoints/last) or a checkpoints/step-N directory.")
  Path checkpoint;

  @Option(names = "--decoder", required = true, description = "decoder.onnx of the tokenizer the AR model was trained for.")
  Path decoder;

  @Option(names = "--out", defaultValue = "runs/ar/samples.png", description = "PNG grid (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--tokens-out", description = "Also write the sampled TokenRecords to this Avro file.")
  Path tokensOut;

  @Option(names = "--cfg", defaultValue = "2.0", description = "Guidance scale s, logits = u + s(c - u); 1 = off (default ${DEFAULT-VALUE}).")
  float cfg;

  @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature, 0 = greedy (default ${DEFAULT-VALUE}).")
  float temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens, 0 = off (default ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus mass, 1 = off (default ${DEFAULT-VALUE}).")
  float topP;

  @Option(names = "--per-class", defaultValue = "8", description = "Samples per class (default ${DEFAULT-VALUE}).")
  int perClass;

  @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--no-kv-cache", description = "Recompute the whole prefix at every step (slow; for comparison).")
  boolean noKvCache;

  @Option(names = "--classifier", description = "Classifier checkpoint (train-classifier) for accuracy and domain FID.")
  Path classifier;

  @Option(names = "--real-test-images", defaultValue = "0", description = "Real test images for the domain FID, 0 = all (default ${DEFAULT-VALUE}).")
  int realTestImages;

  @Override
  public Integer call() {
    ArGenerator.Result result = run();
    System.out.printf(
        Locale.ROOT, "%d samples in %.1f s (%.0f tokens/s)%ngrid %s%n", result.images(), result.samplingSeconds(),
        result.tokensPerSecond(), result.png());
    if (result.tokensOut() != null) {
      System.out.printf("token records %s%n", result.tokensOut());
    }
    if (result.scores() != null) {
      System.out.printf(
          Locale.ROOT, "class accuracy %.3f, domain FID %.2f (%d generated vs %d real test images; a Frechet"
              + " distance of the project classifier's features, not comparable with ImageNet FID)%n",
          result.scores().classAccuracy(), result.scores().domainFid(), result.scores().generated(),
          result.scores().real());
    }
    return 0;
  }

  public ArGenerator.Result run() {
    SamplingOptions sampling = new SamplingOptions(cfg, temperature, topK, topP, seed, !noKvCache);
    return ArGenerator.run(
        new ArGenerator.Options(checkpoint, decoder, out, tokensOut, sampling, perClass, classifier, realTestImages));
  }
}
