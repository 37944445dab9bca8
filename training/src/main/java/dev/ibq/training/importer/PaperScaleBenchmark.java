package dev.ibq.training.importer;

import dev.ibq.training.io.Json;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FolderSource;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.training.export.PeakMemory;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Encode speed of an imported tokenizer at the paper's scale (256x256, 16x16 tokens): ONNX Runtime (the exported
 * encoder.onnx) against DJL (the same weights loaded from the checkpoint), per batch size, CPU, with the peak
 * resident-memory growth of each call (Linux VmHWM, reset before the call; the sessions already loaded). Inputs are
 * real photos through the project's preprocessing, repeated to fill the batch.
 *
 * <p>{@code java ... dev.ibq.training.importer.PaperScaleBenchmark CKPT YAML EXPORT_DIR PHOTO_DIR BATCHES DJL_MAX_BATCH THREADS RESULTS.md}
 * (BATCHES e.g. 1,8,32; DJL runs only up to DJL_MAX_BATCH). A point is one timed call after one warm-up call at batch 1: paper-scale calls take
 * seconds each on a small CPU, so the figures are single measurements, as the results file says.
 */
public final class PaperScaleBenchmark {

  private PaperScaleBenchmark() {}

  /** One batch size: images/s, seconds of the timed call and peak RSS growth, per engine; token agreement. */
  public record Row(
      int batch, double onnxImagesPerSecond, double onnxSeconds, long onnxPeakRssDeltaBytes,
      double djlImagesPerSecond, double djlSeconds, long djlPeakRssDeltaBytes, double tokenAgreement) {}

  public record Result(String when, String command, TokenizerArchitecture architecture, String tokenizerId, int threads, List<Row> rows) {}

  public static Result run(
      Path checkpoint, Path config, Path export, Path photos, List<Integer> batches, int djlMaxBatch, int threads, String command)
      throws IOException, ImageRejectedException {
    try (NDManager manager = NDManager.newBaseManager();
        OnnxTokenizer onnx = OnnxTokenizer.open(export.resolve("encoder.onnx"), OnnxTokenizer.Options.cpu(threads))) {
      TokenizerImporter.Loaded loaded = TokenizerImporter.load(TokenizerImporter.Request.of(checkpoint, config), manager);
      IbqTokenizerModel model = loaded.model();
      TokenizerArchitecture arch = loaded.config().architecture();
      if (onnx.info().codebookSize() != arch.codebookSize() || onnx.info().imageHeight() != arch.resolution()) {
        throw new IllegalArgumentException("The export " + export + " (K=" + onnx.info().codebookSize() + ") is not an export of "
            + checkpoint + " (K=" + arch.codebookSize() + "); run import-tokenizer on the same files first.");
      }
      PreprocessingSpec spec = onnx.info().preprocessing();
      float[] pool = photos(photos, spec);
      int per = spec.tensorSize();
      int available = pool.length / per;
      int maxBatch = batches.stream().mapToInt(Integer::intValue).max().orElse(1);
      float[] images = new float[maxBatch * per];
      for (int i = 0; i < maxBatch; i++) {
        System.arraycopy(pool, (i % available) * per, images, i * per, per);
      }
      // Warm-up: one call per engine at batch 1.
      onnx.encode(Arrays.copyOf(images, per), 1);
      if (djlMaxBatch > 0) {
        djl(model, manager, Arrays.copyOf(images, per), 1, arch);
      }
      List<Row> rows = new ArrayList<>();
      for (int b : batches) {
        float[] x = Arrays.copyOf(images, b * per);
        long before = PeakMemory.currentBytes();
        PeakMemory.resetPeak();
        long t0 = System.nanoTime();
        int[][] fromOnnx = onnx.encode(x, b);
        double onnxSeconds = (System.nanoTime() - t0) / 1e9;
        long onnxPeak = PeakMemory.peakBytes() - before;

        if (b > djlMaxBatch) {
          // NOTE: DJL's CPU memory grows about 3 GB per 256x256 image here (+11.8 GB at batch 4), so large DJL batches
          // are left out on a small shared machine rather than risk running it out of memory.
          Row row = new Row(b, b / onnxSeconds, onnxSeconds, onnxPeak, Double.NaN, Double.NaN, -1, Double.NaN);
          System.out.printf(Locale.ROOT, "K=%d batch %d: ONNX Runtime %.3f images/s (%.1f s, +%d MB), DJL not run (batch > %d)%n",
              arch.codebookSize(), b, row.onnxImagesPerSecond(), onnxSeconds, onnxPeak >> 20, djlMaxBatch);
          rows.add(row);
          continue;
        }
        before = PeakMemory.currentBytes();
        PeakMemory.resetPeak();
        t0 = System.nanoTime();
        int[] fromDjl = djl(model, manager, x, b, arch);
        double djlSeconds = (System.nanoTime() - t0) / 1e9;
        long djlPeak = PeakMemory.peakBytes() - before;

        int equal = 0;
        int tokens = arch.tokensPerImage();
        for (int i = 0; i < b; i++) {
          for (int p = 0; p < tokens; p++) {
            if (fromOnnx[i][p] == fromDjl[i * tokens + p]) {
              equal++;
            }
          }
        }
        Row row = new Row(b, b / onnxSeconds, onnxSeconds, onnxPeak, b / djlSeconds, djlSeconds, djlPeak, equal / (double) (b * tokens));
        System.out.printf(Locale.ROOT, "K=%d batch %d: ONNX Runtime %.3f images/s (%.1f s, +%d MB), DJL %.3f images/s (%.1f s, +%d MB), tokens equal %.4f%n",
            arch.codebookSize(), b, row.onnxImagesPerSecond(), onnxSeconds, onnxPeak >> 20, row.djlImagesPerSecond(), djlSeconds, djlPeak >> 20,
            row.tokenAgreement());
        rows.add(row);
      }
      return new Result(Instant.now().toString(), command, arch, onnx.info().tokenizerId(), threads, rows);
    }
  }

  private static int[] djl(IbqTokenizerModel model, NDManager manager, float[] x, int batch, TokenizerArchitecture arch) {
    try (NDManager step = manager.newSubManager()) {
      NDArray in = step.create(x, new Shape(batch, arch.inChannels(), arch.resolution(), arch.resolution()));
      return model.encodeIndices(in).toType(ai.djl.ndarray.types.DataType.INT32, false).toIntArray();
    }
  }

  private static float[] photos(Path dir, PreprocessingSpec spec) throws IOException, ImageRejectedException {
    Preprocessor pre = new Preprocessor(spec);
    List<float[]> out = new ArrayList<>();
    FolderSource folder = FolderSource.open(dir);
    for (int i = 0; i < folder.size(); i++) {
      float[] tensor = new float[spec.tensorSize()];
      try {
        folder.preprocessInto(i, pre, DecodeLimits.defaults(), tensor, 0);
        out.add(tensor);
      } catch (ImageRejectedException e) {
        System.out.println("skipping " + folder.id(i) + ": " + e.getMessage());
      }
    }
    if (out.isEmpty()) {
      throw new IOException("No photo in " + dir + " could be decoded; expected a folder of images.");
    }
    float[] all = new float[out.size() * spec.tensorSize()];
    for (int i = 0; i < out.size(); i++) {
      System.arraycopy(out.get(i), 0, all, i * spec.tensorSize(), spec.tensorSize());
    }
    return all;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 8) {
      System.err.println("usage: PaperScaleBenchmark CKPT YAML EXPORT_DIR PHOTO_DIR BATCHES DJL_MAX_BATCH THREADS RESULTS.md");
      System.exit(2);
    }
    int djlMaxBatch = Integer.parseInt(args[5]);
    int threads = Integer.parseInt(args[6]);
    System.setProperty("ai.djl.pytorch.num_threads", args[6]);
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    List<Integer> batches = Arrays.stream(args[4].split(",")).map(String::trim).map(Integer::parseInt).toList();
    String command = "java -cp ... dev.ibq.training.importer.PaperScaleBenchmark " + String.join(" ", args);
    Result r = run(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), batches, djlMaxBatch, threads, command);
    Path md = Path.of(args[7]);
    StringBuilder s = new StringBuilder();
    if (Files.exists(md)) {
      s.append(Files.readString(md)).append('\n');
    }
    TokenizerArchitecture a = r.architecture();
    s.append("## K = ").append(a.codebookSize()).append(", D = ").append(a.codeDim()).append(", ").append(a.resolution()).append('x')
        .append(a.resolution()).append(" -> ").append(a.gridHeight()).append('x').append(a.gridWidth()).append(" (").append(r.when()).append(")\n\n")
        .append("`").append(r.command()).append("`\n\n")
        .append("tokenizer ").append(r.tokenizerId()).append(", ").append(r.threads()).append(" intra-op thread(s) per engine, CPU\n\n")
        .append("| batch | ONNX Runtime images/s | call s | peak RSS growth | DJL images/s | call s | peak RSS growth | ORT / DJL | tokens equal |\n")
        .append("|---|---|---|---|---|---|---|---|---|\n");
    for (Row row : r.rows()) {
      boolean djl = !Double.isNaN(row.djlImagesPerSecond());
      s.append(String.format(Locale.ROOT, "| %d | %.3f | %.1f | %d MB | %s | %s | %s | %s | %s |%n", row.batch(), row.onnxImagesPerSecond(),
          row.onnxSeconds(), row.onnxPeakRssDeltaBytes() >> 20,
          djl ? String.format(Locale.ROOT, "%.3f", row.djlImagesPerSecond()) : "not run",
          djl ? String.format(Locale.ROOT, "%.1f", row.djlSeconds()) : "",
          djl ? (row.djlPeakRssDeltaBytes() >> 20) + " MB" : "",
          djl ? String.format(Locale.ROOT, "%.2f", row.onnxImagesPerSecond() / row.djlImagesPerSecond()) : "",
          djl ? String.format(Locale.ROOT, "%.4f", row.tokenAgreement()) : ""));
    }
    Files.writeString(md, s.toString());
    Path json = md.resolveSibling(md.getFileName().toString().replaceAll("\\.md$", "") + "-k" + a.codebookSize() + ".json");
    Json.writePretty(json, r);
    System.out.println("wrote " + md + " and " + json);
  }
}
