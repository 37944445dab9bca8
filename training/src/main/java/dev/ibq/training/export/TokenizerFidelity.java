package dev.ibq.training.export;

import dev.ibq.training.io.Json;
import ai.djl.ndarray.NDManager;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.training.autoregressive.eval.ClassifierTrainer;
import dev.ibq.training.autoregressive.eval.FmnistClassifier;
import dev.ibq.training.autoregressive.eval.GenerationMetrics;
import dev.ibq.model.CodeUsage;
import dev.ibq.training.tokenizer.train.ImageQuality;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How faithful an EXPORTED tokenizer is on the 10k Fashion-MNIST test images, measured through the ONNX files the
 * stream runs (not the DJL model): every test image is encoded to token ids and decoded back, then
 *
 * <ul>
 *   <li>codebook utilization and perplexity of all test tokens (the paper's metric);
 *   <li>PSNR and SSIM of the reconstructions on the 28x28 content (padding excluded), EMA weights as exported;
 *   <li>class accuracy of the project's Fashion-MNIST classifier on the real images and on their reconstructions,
 *       and the reconstructions' "domain FID" against the real test images (the classifier's features).
 * </ul>
 */
public final class TokenizerFidelity {

  private TokenizerFidelity() {}

  /** The figures, as written to the results file. */
  public static Map<String, Object> run(Path model, Path classifierFile, int classifierEpochs, int batch, Path results, String command) {
    Path encoderFile = model.resolve("encoder.onnx");
    Path decoderFile = model.resolve("decoder.onnx");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("command", command);
    out.put("started", Instant.now().toString());
    out.put("model", model.toString());
    try (OnnxTokenizer encoder = OnnxTokenizer.open(encoderFile); OnnxDecoder decoder = OnnxDecoder.open(decoderFile)) {
      PreprocessingSpec spec = PreprocessingSpec.parse(decoder.info().preprocessingDescriptor());
      if (!Files.exists(classifierFile)) {
        ClassifierTrainer.run(new ClassifierTrainer.Options(spec, classifierEpochs, 64, 1e-3f, 0, 0, 0), classifierFile);
      }
      ClassifierTrainer.Images real = ClassifierTrainer.load(FashionMnist.Split.TEST, spec, 0);
      int size = spec.tensorSize();
      int n = real.count();
      float[] reconstructions = new float[n * size];
      CodeUsage usage = CodeUsage.unbounded(encoder.info().codebookSize());
      double psnr = 0;
      double ssim = 0;
      int crop = 28;
      long t0 = System.nanoTime();
      for (int from = 0; from < n; from += batch) {
        int count = Math.min(batch, n - from);
        float[] images = new float[count * size];
        System.arraycopy(real.pixels(), from * size, images, 0, count * size);
        int[][] tokens = encoder.encode(images, count);
        for (int[] grid : tokens) {
          for (int t : grid) {
            usage.add(t);
          }
        }
        float[] decoded = decoder.decode(tokens);
        for (int i = 0; i < count; i++) {
          float[] a = ImageQuality.toUnitRange(images, i * size, size);
          float[] b = ImageQuality.toUnitRange(decoded, i * size, size);
          a = ImageQuality.cropCentre(a, spec.channels(), spec.height(), spec.width(), crop, crop);
          b = ImageQuality.cropCentre(b, spec.channels(), spec.height(), spec.width(), crop, crop);
          psnr += ImageQuality.psnr(a, b);
          ssim += ImageQuality.ssim(a, b, spec.channels(), crop, crop);
        }
        System.arraycopy(decoded, 0, reconstructions, from * size, count * size);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      try (NDManager manager = NDManager.newBaseManager();
          FmnistClassifier.Loaded classifier = FmnistClassifier.load(classifierFile, manager)) {
        GenerationMetrics.Scores realScores = GenerationMetrics.score(classifier.classifier(), real.pixels(), real.labels(), real);
        GenerationMetrics.Scores reconScores =
            GenerationMetrics.score(classifier.classifier(), clip(reconstructions), real.labels(), real);
        out.put("tokenizer_id", encoder.info().tokenizerId());
        out.put("test_images", n);
        out.put("codebook_size", usage.codebookSize());
        out.put("used_codes", usage.usedCodes());
        out.put("utilization", usage.utilization());
        out.put("perplexity", usage.perplexity());
        out.put("psnr_db", psnr / n);
        out.put("ssim", ssim / n);
        out.put("classifier", classifierFile.toString());
        out.put("classifier_test_accuracy", classifier.header().testAccuracy());
        out.put("real_class_accuracy", realScores.classAccuracy());
        out.put("reconstruction_class_accuracy", reconScores.classAccuracy());
        out.put("accuracy_gap_points", 100 * (realScores.classAccuracy() - reconScores.classAccuracy()));
        out.put("reconstruction_domain_fid", reconScores.domainFid());
        out.put("encode_decode_seconds", seconds);
      }
    }
    out.put("finished", Instant.now().toString());
    write(results, out);
    return out;
  }

  private static float[] clip(float[] x) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = Math.max(-1f, Math.min(1f, x[i]));
    }
    return y;
  }


  private static void write(Path results, Map<String, Object> out) {
    try {
      Path json = results.resolveSibling(results.getFileName() + ".json");
      Files.createDirectories(json.toAbsolutePath().getParent());
      Json.writePretty(json, out);
      StringBuilder md = new StringBuilder("# Tokenizer fidelity on the 10k Fashion-MNIST test images (through the ONNX export)\n\n");
      md.append("Command: `").append(out.get("command")).append("`\n\n| figure | value |\n|---|---|\n");
      for (Map.Entry<String, Object> e : out.entrySet()) {
        if (!e.getKey().equals("command")) {
          Object v = e.getValue();
          md.append("| ").append(e.getKey()).append(" | ")
              .append(v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(v)).append(" |\n");
        }
      }
      Files.writeString(results.resolveSibling(results.getFileName() + ".md"), md.toString(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + results, e);
    }
  }
}
