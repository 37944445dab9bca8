package dev.ibq.training.tokenizer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Benchmark (not a test): the wall time of one tokenizer training step on this machine, forward + backward
 * of the generator loss (L1 + quantization + 0.05 entropy + 0.1 adversarial through a PatchDiscriminator),
 * optionally followed by the discriminator's forward + backward (hinge + LeCAM). No optimiser update.
 *
 * <p>Run: {@code java [-Dibq.threads=N] -cp ... dev.ibq.training.tokenizer.StepTimingBenchmark [batch] [steps] [K...]};
 * prints one
 * line per configuration and appends it to {@code training/results/tokenizer-step-time.txt} (or the path in
 * the system property {@code ibq.results}).
 */
public final class StepTimingBenchmark {

  /** One measured configuration. */
  public record Result(
      String quantizer, int codebookSize, int codeDim, int batch, double generatorMillis, double fullStepMillis,
      long generatorParameters) {
    String line() {
      return String.format(
          "%s K=%d D=%d batch=%d: generator fwd+bwd %.0f ms, generator+discriminator fwd+bwd %.0f ms (%.0f images/s), "
              + "%d generator parameters",
          quantizer, codebookSize, codeDim, batch, generatorMillis, fullStepMillis, batch * 1000.0 / fullStepMillis,
          generatorParameters);
    }
  }

  private StepTimingBenchmark() {}

  /** Times {@code steps} steps after two warm-up steps and returns the median per-step times. */
  public static Result run(TokenizerArchitecture arch, int batch, int steps) {
    Engine.getInstance().setRandomSeed(0);
    try (NDManager manager = NDManager.newBaseManager()) {
      IbqTokenizerModel model = IbqTokenizerModel.create(arch, manager);
      PatchDiscriminator discriminator = new PatchDiscriminator(manager, arch.inChannels());
      LecamEma lecam = new LecamEma();
      NDArray images = manager.randomUniform(-1, 1, new Shape(batch, arch.inChannels(), arch.resolution(), arch.resolution()));
      List<Double> generator = new ArrayList<>();
      List<Double> full = new ArrayList<>();
      for (int i = 0; i < steps + 2; i++) {
        try (NDManager step = manager.newSubManager()) {
          NDArray x = images.duplicate();
          x.attach(step);
          long t0 = System.nanoTime();
          NDArray reconstruction;
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            TokenizerOutput out = model.forward(x, true);
            reconstruction = out.reconstruction();
            NDArray loss = TokenizerLosses.l1(reconstruction, x);
            // NOTE: the quantizer's terms unweighted: a weight does not change what a step costs.
            for (LossTerm term : out.quantizer().losses()) {
              loss = loss.add(term.value());
            }
            loss = loss.add(Scalars.mul(TokenizerLosses.generatorAdversarialLoss(discriminator.forwardForGenerator(reconstruction)),
                TokenizerLosses.GENERATOR_ADVERSARIAL_WEIGHT));
            collector.backward(loss);
          }
          long t1 = System.nanoTime();
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray real = discriminator.forward(x, true);
            NDArray fake = discriminator.forward(reconstruction.stopGradient(), true);
            collector.backward(TokenizerLosses.discriminatorLoss(real, fake, lecam));
          }
          long t2 = System.nanoTime();
          if (i >= 2) {
            generator.add((t1 - t0) / 1e6);
            full.add((t2 - t0) / 1e6);
          }
        }
      }
      return new Result(arch.quantizer(), arch.codebookSize(), arch.codeDim(), batch, median(generator), median(full),
          model.parameterCount());
    }
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted[sorted.length / 2];
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  public static void main(String[] args) throws IOException {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 32;
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int[] ks = args.length > 2
        ? Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray()
        : new int[] {1024, 16384};
    int threads = Integer.getInteger("ibq.threads", 0);
    if (threads > 0) {
      // NOTE: on a shared, oversubscribed CPU, PyTorch's OpenMP threads spin-wait and a step can be 5-10x slower
      // with 2 threads than with 1; this pins the intra-op thread count.
      Engine.getInstance(); // loads the native library
      ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
    }
    Path results = Path.of(System.getProperty("ibq.results", "training/results/tokenizer-step-time.txt"));
    Files.createDirectories(results.toAbsolutePath().getParent());
    StringBuilder out = new StringBuilder();
    out.append("# ").append(Instant.now()).append(", ").append(Runtime.getRuntime().availableProcessors())
        .append(" CPU cores, torch intra-op threads ")
        .append(ai.djl.pytorch.jni.JniUtils.getNumThreads()).append(", preset fashionMnistCpu, median of ").append(steps).append(" steps, load average before: ")
        .append(loadAverage()).append('\n');
    for (String type : QuantizerKinds.names()) {
      for (int k : ks) {
        TokenizerArchitecture arch = TokenizerArchitecture.fashionMnistCpu().withCodebookSize(k).withQuantizer(type);
        String line = run(arch, batch, steps).line();
        System.out.println(line);
        out.append(line).append('\n');
      }
    }
    Files.writeString(results, out, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    System.out.println("appended to " + results);
  }
}
