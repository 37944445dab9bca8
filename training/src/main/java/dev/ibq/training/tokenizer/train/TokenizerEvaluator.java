package dev.ibq.training.tokenizer.train;

import dev.ibq.training.io.Json;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.model.CodeUsage;
import dev.ibq.training.data.ImageBatches;
import dev.ibq.training.data.LabelledImages;
import dev.ibq.training.report.ReconstructionGrid;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Evaluates a tokenizer on the Fashion-MNIST test set through the inference path the exporter and the
 * stream job use ({@code encodeIndices} then {@code decodeIndices}): codebook utilization and
 * perplexity over all test tokens, and mean PSNR / SSIM of the reconstructions.
 *
 * <p>PSNR and SSIM are measured on [0, 1] images ({@code (x + 1) / 2}, reconstructions clamped to [-1, 1]
 * first) and, for the padded 32x32 Fashion-MNIST tensors, on the central 28x28 picture only: the 2-pixel
 * black border is not part of the data and would inflate both figures.
 */
public final class TokenizerEvaluator {

  /** Images per forward pass; bounds the (N, K) logits (64 x 64 tokens x K 16384 floats = 256 MiB). */
  static final int EVAL_BATCH = 64;

  /** Gaussian draws for {@link LatentGeometry#gaussianReachableCodes} (capped by the test tokens evaluated). */
  static final int REACHABILITY_SAMPLES = 131_072;

  private TokenizerEvaluator() {}

  /**
   * @param model the tokenizer, normally with EMA weights
   * @param limit evaluate the first {@code limit} test images (0 = all)
   * @param gridImages how many to show in the grid PNG (written only when {@code gridPng} is not null)
   */
  public static EvaluationResult evaluate(
      IbqTokenizerModel model, LabelledImages test, Preprocessor preprocessor, int limit, int gridImages, Path gridPng, long step,
      NDManager parent) {
    long started = System.nanoTime();
    int n = limit <= 0 ? test.size() : Math.min(limit, test.size());
    var arch = model.architecture();
    var spec = preprocessor.spec();
    int channels = spec.channels();
    int height = spec.height();
    int width = spec.width();
    int[] content = test.contentSize(spec);
    int cropH = content[0];
    int cropW = content[1];
    String region = cropH == height && cropW == width
        ? "whole " + height + "x" + width + " image"
        : "central " + cropH + "x" + cropW + " (padding excluded)";
    CodeUsage usage = CodeUsage.unbounded(arch.codebookSize());
    LatentGeometry geometry = new LatentGeometry(arch.codeDim());
    double psnrSum = 0;
    double ssimSum = 0;
    double maxProbSum = 0;
    long maxProbCount = 0;
    int shown = Math.min(gridImages, n);
    float[][] gridOriginals = new float[shown][];
    float[][] gridReconstructions = new float[shown][];
    int size = spec.tensorSize();
    for (int from = 0; from < n; from += EVAL_BATCH) {
      int count = Math.min(EVAL_BATCH, n - from);
      try (NDManager scope = parent.newSubManager()) {
        float[] input = ImageBatches.floats(test, preprocessor, ImageBatches.range(from, count));
        NDArray images = scope.create(input, ImageBatches.shape(preprocessor, count)); // (b, C, H, W)
        NDArray z = model.encodeLatents(images, false); // (b, D, h, w)
        NDArray indices = model.quantizer().indices(z); // (b, h, w), as encodeIndices
        usage.add(indices.toType(DataType.INT64, false).toLongArray());
        NDArray flat = z.transpose(0, 2, 3, 1).reshape(-1, arch.codeDim()); // (b*h*w, D)
        geometry.add(flat);
        NDArray maxProb = model.quantizer().maxProbabilities(flat); // (b*h*w), null for kinds without a softmax
        if (maxProb != null) {
          maxProbSum += maxProb.sum().toType(DataType.FLOAT64, false).getDouble();
          maxProbCount += maxProb.size();
        }
        float[] output = model.decodeIndices(indices).clip(-1f, 1f).toFloatArray(); // (b, C, H, W)
        for (int i = 0; i < count; i++) {
          float[] original = ImageQuality.toUnitRange(input, i * size, size);
          float[] reconstruction = ImageQuality.toUnitRange(output, i * size, size);
          float[] a = ImageQuality.cropCentre(original, channels, height, width, cropH, cropW);
          float[] b = ImageQuality.cropCentre(reconstruction, channels, height, width, cropH, cropW);
          psnrSum += ImageQuality.psnr(a, b);
          ssimSum += ImageQuality.ssim(a, b, channels, cropH, cropW);
          int k = from + i;
          if (k < shown) {
            gridOriginals[k] = original;
            gridReconstructions[k] = reconstruction;
          }
        }
      }
    }
    int reachSamples = (int) Math.min(usage.total(), REACHABILITY_SAMPLES);
    int reachable = geometry.gaussianReachableCodes(model.quantizer(), reachSamples, 0L, parent);
    double seconds = (System.nanoTime() - started) / 1e9;
    double psnr = psnrSum / n;
    double ssim = ssimSum / n;
    if (gridPng != null && shown > 0) {
      String title = String.format(
          Locale.ROOT, "%s K=%d D=%d, step %d (EMA weights): PSNR %.2f dB, SSIM %.3f, utilization %.1f%%",
          arch.quantizer(), arch.codebookSize(), arch.codeDim(), step, psnr, ssim, 100 * usage.utilization());
      ReconstructionGrid.write(gridPng, gridOriginals, gridReconstructions, channels, height, width, 8, 3, title);
    }
    return new EvaluationResult(
        n, usage.total(), usage.codebookSize(), usage.usedCodes(), usage.utilization(), usage.perplexity(), psnr, ssim, region,
        maxProbCount == 0 ? Double.NaN : maxProbSum / maxProbCount, geometry.effectiveDimension(), reachable, reachSamples,
        step, seconds, shown > 0 ? gridPng : null);
  }

  /** The result as a JSON object (also the file written by {@link #writeJson}). */
  public static Map<String, Object> toMap(EvaluationResult r, TokenizerTrainingConfig config) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("quantizer", config.architecture().quantizer());
    m.put("codebook_size", r.codebookSize());
    m.put("code_dim", config.architecture().codeDim());
    m.put("step", r.step());
    m.put("images", r.images());
    m.put("tokens", r.tokens());
    m.put("used_codes", r.usedCodes());
    m.put("utilization", r.utilization());
    m.put("perplexity", r.perplexity());
    m.put("psnr_db", r.psnr());
    m.put("ssim", r.ssim());
    m.put("quality_region", r.qualityRegion());
    m.put("mean_max_probability", Double.isNaN(r.meanMaxProbability()) ? null : r.meanMaxProbability());
    m.put("latent_effective_dimension", r.latentEffectiveDimension());
    m.put("gaussian_reachable_codes", r.gaussianReachableCodes());
    m.put("reachability_samples", r.reachabilitySamples());
    m.put("seconds", r.seconds());
    m.put("grid", r.grid() == null ? null : r.grid().toString());
    return m;
  }

  public static void writeJson(Path file, EvaluationResult r, TokenizerTrainingConfig config) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Json.writePretty(file, toMap(r, config));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }

  /** A two-line human summary. */
  public static String summary(EvaluationResult r) {
    return String.format(
        Locale.ROOT,
        "test images %d, step %d: utilization %.2f%% (%d/%d codes), perplexity %.1f, PSNR %.2f dB, SSIM %.4f [%s];"
            + " latents: effective dimension %.1f, Gaussian-reachable codes %d/%d%s",
        r.images(), r.step(), 100 * r.utilization(), r.usedCodes(), r.codebookSize(), r.perplexity(), r.psnr(), r.ssim(),
        r.qualityRegion(), r.latentEffectiveDimension(), r.gaussianReachableCodes(),
        r.codebookSize(),
        Double.isNaN(r.meanMaxProbability()) ? "" : String.format(Locale.ROOT, ", mean max p %.3f", r.meanMaxProbability()));
  }
}
