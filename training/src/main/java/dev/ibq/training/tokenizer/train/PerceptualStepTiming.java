package dev.ibq.training.tokenizer.train;

import ai.djl.engine.Engine;
import dev.ibq.training.report.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmark (not a test): the cost of the perceptual term per training step at the {@code fmnist-sharp} size
 * (batch 32, 32x32 gray), measured through the real trainer. Runs without the term, with LPIPS-VGG and with
 * random-conv are interleaved (off, lpips, random-conv, off, ...), {@code steps} steps each; a run's step time is
 * the median of its per-step times (from {@code images_per_s} with {@code log_every} 1) after its first step.
 * Wall time on a shared, loaded machine measures the neighbours too, so the CPU time of the training thread is
 * also reported: with one torch thread every op runs on it, and the difference between a run of {@code steps} steps
 * and a run of 2 steps, divided by {@code steps - 2}, is the CPU time of a step with setup, data loading and the
 * final checkpoint cancelled out.
 *
 * <p>Run: {@code java -cp ... dev.ibq.training.tokenizer.train.PerceptualStepTiming LPIPS_FILE [rounds] [steps > 2]
 * [threads]}; prints and appends to {@code training/results/perceptual-step-time.txt} (or {@code -Dibq.results}).
 * The LPIPS file's values do not change the cost: a file of VGG16's size with any weights times the same.
 */
public final class PerceptualStepTiming {

  private PerceptualStepTiming() {}

  public static void main(String[] args) throws IOException {
    Path lpips = Path.of(args[0]).toAbsolutePath();
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    Engine.getInstance();
    ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
    Map<String, List<String>> variants = new LinkedHashMap<>();
    variants.put("off", List.of());
    variants.put("lpips-vgg", List.of("losses.perceptual=1", "losses.perceptual_network=lpips-vgg:" + lpips));
    variants.put("random-conv", List.of("losses.perceptual=1", "losses.perceptual_network=random-conv"));
    Map<String, List<Double>> perRun = new LinkedHashMap<>();
    Map<String, List<Double>> cpuPerStep = new LinkedHashMap<>();
    java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
    Path scratch = Files.createTempDirectory("perceptual-timing");
    for (int r = 0; r < rounds; r++) {
      for (Map.Entry<String, List<String>> v : variants.entrySet()) {
        double[] cpuSeconds = new double[2];
        TrainingResult result = null;
        TokenizerTrainingConfig config = null;
        for (int pass = 0; pass < 2; pass++) {
          List<String> set = new ArrayList<>(v.getValue());
          set.addAll(List.of("steps=" + (pass == 0 ? 2 : steps), "log_every=1", "checkpoint_every=0", "figure_every=0",
              "grid_images=4"));
          config = TokenizerPresets.get("fmnist-sharp").withOverrides(Map.of(), "", set);
          long c0 = cpu.getCurrentThreadCpuTime();
          result = TokenizerTrainer.run(config, scratch.resolve(v.getKey() + "-" + r + "-" + pass),
              TrainingOptions.defaults().withDevice("cpu").withProgressBar(false).withEvaluate(false));
          cpuSeconds[pass] = (cpu.getCurrentThreadCpuTime() - c0) / 1e9;
        }
        cpuPerStep.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add((cpuSeconds[1] - cpuSeconds[0]) / (steps - 2));
        List<Double> seconds = new ArrayList<>();
        for (Map<String, Double> row : MetricsLog.read(result.metricsLog())) {
          if (row.get("step") > 1) {
            seconds.add(config.batchSize() / row.get("images_per_s"));
          }
        }
        perRun.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(median(seconds));
      }
    }
    double off = median(perRun.get("off"));
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT,
        "# %s, fmnist-sharp (batch 32, 32x32 gray), torch threads %d, %d interleaved rounds of %d steps, load average %s%n"
            + "# command: java -cp <training classpath> %s %s %d %d %d%n",
        Instant.now(), threads, rounds, steps, loadAverage(), PerceptualStepTiming.class.getName(), lpips, rounds, steps, threads));
    double offCpu = median(cpuPerStep.get("off"));
    for (Map.Entry<String, List<Double>> e : perRun.entrySet()) {
      double m = median(e.getValue());
      double c = median(cpuPerStep.get(e.getKey()));
      out.append(String.format(Locale.ROOT,
          "%-12s wall step %.3f s (runs: %s), %.2fx; training-thread CPU per step %.3f s (runs: %s), %.2fx the step"
              + " without the term%n",
          e.getKey(), m, format(e.getValue()), m / off, c, format(cpuPerStep.get(e.getKey())), c / offCpu));
    }
    System.out.print(out);
    Path results = Path.of(System.getProperty("ibq.results", "training/results/perceptual-step-time.txt"));
    Files.createDirectories(results.toAbsolutePath().getParent());
    Files.writeString(results, out, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static String format(List<Double> values) {
    List<String> out = new ArrayList<>();
    values.forEach(v -> out.add(String.format(Locale.ROOT, "%.3f", v)));
    return String.join(" ", out);
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
