package dev.ibq.training.tokenizer.train;

import dev.ibq.training.io.Json;
import dev.ibq.training.tokenizer.QuantizerKind;
import dev.ibq.training.tokenizer.QuantizerKinds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The paper's central comparison at small scale: the same preset trained with IBQ and with the VQ
 * baseline at several codebook sizes (same steps, same seed, same everything else), each evaluated on
 * the Fashion-MNIST test set with its EMA weights. A benchmark, not a test: it writes a Markdown table
 * and a JSON file (rewritten after every run, so a partial result survives an interruption).
 */
public final class UtilizationBenchmark {

  private static final Logger LOG = LoggerFactory.getLogger(UtilizationBenchmark.class);

  /**
   * What to run.
   *
   * @param preset the preset every run starts from
   * @param overrides {@code key=value} overrides applied to every run (before quantizer and K)
   * @param quantizers the quantizer variants to compare ({@link QuantizerVariant})
   * @param codebookSizes the K values
   * @param runsDir where the run directories go
   * @param resultsStem results are written to {@code resultsStem + ".md"} and {@code ".json"}
   * @param command the command line that reproduces it (written into the results)
   */
  public record Plan(
      String preset, List<String> overrides, List<QuantizerVariant> quantizers, List<Integer> codebookSizes, Path runsDir,
      Path resultsStem, String command) {}

  /** One row of the table. */
  public record Row(
      QuantizerVariant quantizer, int codebookSize, int codeDim, int steps, int batchSize, EvaluationResult evaluation,
      double trainImagesPerSecond, double secondsPerStep, double trainWindowUtilization, double codebookDrift,
      Path runDir) {}

  /** All rows, and where they were written. */
  public record Result(List<Row> rows, Path markdown, Path json) {}

  private UtilizationBenchmark() {}

  public static Result run(Plan plan, TrainingOptions options) {
    List<Row> rows = new ArrayList<>();
    String started = Instant.now().toString();
    for (int k : plan.codebookSizes()) {
      for (QuantizerVariant quantizer : plan.quantizers()) {
        TokenizerTrainingConfig config = configFor(plan, quantizer, k);
        Path runDir = plan.runsDir().resolve(String.format(Locale.ROOT, "%s-K%d", quantizer.name().toLowerCase(Locale.ROOT), k));
        LOG.info("Benchmark run {} K={} ({} steps) -> {}", quantizer.name(), k, config.steps(), runDir);
        TrainingResult result = TokenizerTrainer.run(config, runDir, options.withEvaluate(true));
        rows.add(new Row(
            quantizer, k, config.architecture().codeDim(), config.steps(), config.batchSize(), result.evaluation(),
            result.imagesPerSecond(), result.secondsPerStep(), result.lastMetrics().getOrDefault("utilization", Double.NaN),
            result.lastMetrics().getOrDefault("codebook_drift", Double.NaN), runDir));
        write(plan, rows, started);
      }
    }
    return new Result(rows, md(plan), json(plan));
  }

  /**
   * The config of one run: the preset, the common overrides, then the variant's quantizer kind with the kind's
   * {@link QuantizerKind#baselineOverrides() baseline overrides}, the variant's overrides and K.
   */
  public static TokenizerTrainingConfig configFor(Plan plan, QuantizerVariant variant, int k) {
    QuantizerKind kind = QuantizerKinds.get(variant.quantizer());
    List<String> sets = new ArrayList<>(plan.overrides());
    sets.add("architecture.quantizer=" + kind.name());
    sets.addAll(kind.baselineOverrides());
    sets.addAll(variant.overrides());
    sets.add("architecture.codebook_size=" + k);
    return TokenizerPresets.get(plan.preset()).withOverrides(Map.of(), "", sets);
  }

  private static Path md(Plan plan) {
    return plan.resultsStem().resolveSibling(plan.resultsStem().getFileName() + ".md");
  }

  private static Path json(Plan plan) {
    return plan.resultsStem().resolveSibling(plan.resultsStem().getFileName() + ".json");
  }

  static void write(Plan plan, List<Row> rows, String started) {
    StringBuilder md = new StringBuilder();
    md.append("# Codebook utilization: IBQ vs VQ on Fashion-MNIST (32x32, 8x8 tokens)\n\n");
    md.append("Reproduce with:\n\n```\n").append(plan.command()).append("\n```\n\n");
    md.append("Preset `").append(plan.preset()).append("` with overrides `").append(String.join(" ", plan.overrides()))
        .append("`; every run: same steps, seed and settings except the quantizer variant and K. Variants: ");
    for (QuantizerVariant v : plan.quantizers()) {
      md.append("`").append(v.name()).append("` = ").append(v.description())
          .append(v.overrides().isEmpty() ? "" : " (`" + String.join(" ", v.overrides()) + "`)").append("; ");
    }
    md.append("remedies are NOT the published method.\n");
    md.append("Test-set figures use the EMA weights through the inference path (encodeIndices -> decodeIndices); ")
        .append("PSNR/SSIM on [0,1] images");
    if (!rows.isEmpty()) {
      md.append(", ").append(rows.get(0).evaluation().qualityRegion());
    }
    md.append(". Started ").append(started).append(", written ").append(Instant.now()).append(".\n\n");
    md.append("| quantizer | K | D | steps x batch | test images | utilization | used codes | perplexity | PSNR dB | SSIM | mean max p"
        + " | z eff. dim | Gaussian-reachable codes | codebook drift | train util (last window) | train img/s | s/step |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    List<Map<String, Object>> json = new ArrayList<>();
    for (Row r : rows) {
      EvaluationResult e = r.evaluation();
      md.append(String.format(Locale.ROOT,
          "| %s | %d | %d | %d x %d | %d | %.2f%% | %d | %.1f | %.2f | %.4f | %s | %.1f | %d (%.1f%%) | %.4f | %.2f%% | %.1f | %.2f |\n",
          r.quantizer().name(), r.codebookSize(), r.codeDim(), r.steps(), r.batchSize(), e.images(), 100 * e.utilization(), e.usedCodes(),
          e.perplexity(), e.psnr(), e.ssim(), Double.isNaN(e.meanMaxProbability()) ? "-" : String.format(Locale.ROOT, "%.3f", e.meanMaxProbability()),
          e.latentEffectiveDimension(), e.gaussianReachableCodes(), 100.0 * e.gaussianReachableCodes() / e.codebookSize(),
          r.codebookDrift(), 100 * r.trainWindowUtilization(), r.trainImagesPerSecond(), r.secondsPerStep()));
      Map<String, Object> m = new LinkedHashMap<>(TokenizerEvaluator.toMap(e, configFor(plan, r.quantizer(), r.codebookSize())));
      m.put("variant", r.quantizer().name());
      m.put("variant_overrides", r.quantizer().overrides());
      m.put("published_method", r.quantizer().published());
      m.put("codebook_drift", r.codebookDrift());
      m.put("steps", r.steps());
      m.put("batch_size", r.batchSize());
      m.put("train_images_per_s", r.trainImagesPerSecond());
      m.put("seconds_per_step", r.secondsPerStep());
      m.put("train_window_utilization", r.trainWindowUtilization());
      m.put("run_dir", r.runDir().toString());
      json.add(m);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("command", plan.command());
    doc.put("preset", plan.preset());
    doc.put("overrides", plan.overrides());
    doc.put("started", started);
    doc.put("rows", json);
    try {
      Files.createDirectories(md(plan).toAbsolutePath().getParent());
      Files.writeString(md(plan), md.toString());
      Json.writePretty(json(plan), doc);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write benchmark results " + md(plan), e);
    }
  }
}
