package dev.ibq.training.export;

import ai.djl.engine.Engine;
import dev.ibq.training.io.Json;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.model.TokenizerMetadata;
import dev.ibq.training.tokenizer.IbqTokenizerModel;
import dev.ibq.training.tokenizer.IndexPropagationQuantizer;
import dev.ibq.training.tokenizer.TokenizerArchitecture;
import dev.ibq.training.tokenizer.train.TokenizerCheckpoint;
import dev.ibq.training.tokenizer.train.TokenizerPresets;
import dev.ibq.training.tokenizer.train.TokenizerTrainer;
import dev.ibq.training.tokenizer.train.TokenizerTrainingConfig;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The export benchmark: ONNX Runtime against DJL encode throughput on the same weights and images; the
 * quantizer alone at large K against this machine's measured matrix-multiply peak, with peak memory; and,
 * optionally, full parity on the Fashion-MNIST test set. Figures go to stdout and to a JSON + Markdown file.
 *
 * <p>Quantizer FLOPs: 2 N K D per call (the z C^T product; the argmax scan is not counted).
 */
public final class ExportBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(ExportBenchmark.class);

  /** How to read the figures; appended to every Markdown result. */
  static final String NOTES =
      """

      ## How to read these figures

      - Encode rows are mean images/s over at least 4 s per point (2 warm-up calls), input copy and token
        read-back included, on the same weights and the same preprocessed Fashion-MNIST test images.
      - Both engines get the same intra-op thread count (--threads). On a shared machine libtorch with more
        OpenMP threads than free cores spin-waits and slows down by an order of magnitude, which would flatter
        ONNX Runtime; equal single threads is the fair setting there.
      - The quantizer and the MatMul peak are timed in interleaved rounds and each keeps its best call, so both
        sides of the ratio see the same background load. The peak is the best ONNX Runtime MatMul measured here
        (same threads), not the CPU's theoretical peak; FLOPs are 2 N K D per quantizer call.
      - Memory is peak resident-set growth (Linux VmHWM, reset before the call) with the session already loaded,
        so it is what a call needs on top of the weights.
      """;

  private ExportBenchmark() {}

  /**
   * @param batches encode batch sizes
   * @param secondsPerPoint measuring time per (batch, engine) point after warm-up
   * @param parityImages Fashion-MNIST test images for the parity check (0 = skip)
   * @param quantK K for the quantizer benchmark
   * @param quantD D for the quantizer benchmark
   * @param quantN token positions per quantizer call
   * @param chunk codes per quantizer chunk
   * @param unchunkedN token positions for the unchunked-memory comparison (0 = skip)
   */
  public record Options(
      List<Integer> batches,
      double secondsPerPoint,
      int parityImages,
      int quantK,
      int quantD,
      int quantN,
      int chunk,
      int unchunkedN,
      int threads) {}

  public record EncodeRow(int batch, double onnxImagesPerSecond, double djlImagesPerSecond) {
    public double speedup() {
      return onnxImagesPerSecond / djlImagesPerSecond;
    }
  }

  public record MatMulRow(String shape, double gflops) {}

  /**
   * @param peakGflops the best MatMul rate measured in this run (the "peak")
   * @param peakRssDeltaBytes peak RSS growth of the first chunked call at N, the session already loaded
   * @param unchunkedPeakRssDeltaBytes the same for a single-MatMul (unchunked) quantizer at unchunkedN
   */
  public record QuantizerResult(
      int k,
      int d,
      int n,
      int chunk,
      double seconds,
      double tokensPerSecond,
      double gflops,
      double peakGflops,
      List<MatMulRow> matmuls,
      long chunkedLogitsBytes,
      long peakRssDeltaBytes,
      int unchunkedN,
      long unchunkedLogitsBytes,
      long unchunkedPeakRssDeltaBytes,
      long chunkedAtUnchunkedNPeakRssDeltaBytes) {
    public double fractionOfPeak() {
      return gflops / peakGflops;
    }
  }

  public record Result(
      String when,
      String command,
      String machine,
      String model,
      int threads,
      String onnxProvider,
      List<EncodeRow> encode,
      QuantizerResult quantizer,
      ParityCheck.Result parity) {}

  /**
   * The benchmark of a trained checkpoint's EMA weights, or of an untrained model of {@code preset} when
   * {@code checkpoint} is null (throughput does not depend on the weight values), exported into a temporary
   * directory. With {@code options.threads() > 0} both engines get that many intra-op threads: this must run before
   * the first DJL call of the JVM, as libtorch reads its thread count when the engine starts.
   */
  public static Result run(Path checkpoint, String preset, Options options, Path results, String command)
      throws IOException, OrtException {
    if (options.threads() > 0) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(options.threads()));
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      IbqTokenizerModel model;
      PreprocessingSpec spec;
      String description;
      if (checkpoint != null) {
        TokenizerCheckpoint.Loaded loaded = TokenizerCheckpoint.load(checkpoint, manager);
        model = loaded.model();
        spec = loaded.preprocessing();
        description = "trained checkpoint " + TokenizerExport.relative(loaded.directory()) + " (EMA weights, step "
            + loaded.step() + ", preset " + loaded.config().preset() + ")";
      } else {
        TokenizerTrainingConfig config = TokenizerPresets.get(preset);
        Engine.getInstance().setRandomSeed(42);
        model = IbqTokenizerModel.create(config.architecture(), manager);
        spec = TokenizerTrainer.preprocessingSpec(config);
        description = "random init of preset " + preset + " (throughput does not depend on the weight values)";
      }
      Path work = Files.createTempDirectory("ibq-bench-export");
      return run(model, description + "; " + model.architecture(), spec, work, options, results, command);
    }
  }

  /** Runs every part on {@code model} (exported into {@code workDir}) and writes {@code results}.json/.md. */
  public static Result run(
      IbqTokenizerModel model, String modelDescription, PreprocessingSpec spec, Path workDir, Options options,
      Path results, String command)
      throws IOException, OrtException {
    TokenizerExporter.export(
        model, new TokenizerExporter.Description("bench", spec.toCanonicalString(), "{}", options.chunk()), workDir);
    OnnxTokenizer.Options ort = new OnnxTokenizer.Options(ExecutionProvider.AUTO, options.threads(), 1);
    int maxBatch = options.batches().stream().mapToInt(Integer::intValue).max().orElse(1);
    float[] images = ParityCheck.fashionMnist(FashionMnist.Split.TEST, Math.max(maxBatch, 256), spec);
    List<EncodeRow> rows = new ArrayList<>();
    String provider;
    try (OnnxTokenizer tokenizer = OnnxTokenizer.open(workDir.resolve(TokenizerMetadata.ENCODER_FILE), ort)) {
      provider = tokenizer.info().provider().name();
      for (int batch : options.batches()) {
        double onnx = throughput(batch, options.secondsPerPoint(), images, spec.tensorSize(), x -> tokenizer.encode(x, batch));
        double djl = throughput(batch, options.secondsPerPoint(), images, spec.tensorSize(), x -> djlEncode(model, x, batch));
        EncodeRow row = new EncodeRow(batch, onnx, djl);
        LOG.info("encode batch {}: ONNX Runtime {} img/s, DJL {} img/s ({}x)", batch, fmt(onnx), fmt(djl), fmt(row.speedup()));
        rows.add(row);
      }
    }
    QuantizerResult quantizer = quantizer(options);
    ParityCheck.Result parity = null;
    if (options.parityImages() > 0) {
      float[] test = ParityCheck.fashionMnist(FashionMnist.Split.TEST, options.parityImages(), spec);
      parity = ParityCheck.run(model, workDir, test, options.parityImages(), 64, ort);
      LOG.info("parity: {}", parity.summary());
    }
    Result result =
        new Result(
            Instant.now().toString(), command, machine(), modelDescription, options.threads(), provider, rows, quantizer,
            parity);
    write(result, results);
    return result;
  }

  interface Encode {
    void run(float[] batch);
  }

  /** Images per second of {@code encode} at {@code batch}: 2 warm-up calls, then at least 3 calls and the given time. */
  static double throughput(int batch, double seconds, float[] images, int perImage, Encode encode) {
    int available = images.length / perImage;
    float[][] batches = new float[Math.max(1, available / batch)][];
    for (int i = 0; i < batches.length; i++) {
      batches[i] = java.util.Arrays.copyOfRange(images, i * batch * perImage, (i + 1) * batch * perImage);
    }
    for (int i = 0; i < 2; i++) {
      encode.run(batches[i % batches.length]);
    }
    long start = System.nanoTime();
    long deadline = start + (long) (seconds * 1e9);
    int calls = 0;
    while (calls < 3 || System.nanoTime() < deadline) {
      encode.run(batches[calls % batches.length]);
      calls++;
    }
    return (double) calls * batch / ((System.nanoTime() - start) / 1e9);
  }

  static int[] djlEncode(IbqTokenizerModel model, float[] x, int batch) {
    TokenizerArchitecture a = model.architecture();
    try (NDManager scope = model.manager().newSubManager()) {
      NDArray input = scope.create(x, new Shape(batch, a.inChannels(), a.resolution(), a.resolution()));
      return model.encodeIndices(input).toIntArray();
    }
  }

  /**
   * The quantizer alone: z (N, D) -> argmax over K codes, chunked as exported; the MatMul peak; memory.
   *
   * <p>NOTE: the quantizer and the MatMul peak shapes are timed in interleaved rounds and each keeps its
   * best call: on a shared machine the fastest call is the one least disturbed by other processes, and
   * interleaving exposes both sides of the ratio to the same background load.
   */
  static QuantizerResult quantizer(Options o) throws OrtException {
    int k = o.quantK();
    int d = o.quantD();
    int n = o.quantN();
    Random rnd = new Random(1);
    float[] codebook = new float[k * d];
    for (int i = 0; i < codebook.length; i++) {
      codebook[i] = (float) rnd.nextGaussian();
    }
    float[] z = new float[n * d];
    for (int i = 0; i < z.length; i++) {
      z[i] = (float) (rnd.nextGaussian() / Math.sqrt(d));
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int[][] shapes = {{2048, 2048, 2048}, {n, d, Math.min(o.chunk(), k)}, {n, d, 16384}};
    List<MatMul> peakRuns = new ArrayList<>();
    for (int[] sh : shapes) {
      peakRuns.add(new MatMul(env, sh[0], sh[1], sh[2], o.threads()));
    }
    byte[] chunked = quantizerModel(codebook, k, d, o.chunk());
    double seconds = Double.MAX_VALUE;
    long chunkedPeak;
    try (OrtSession s = session(env, chunked, o.threads())) {
      System.gc();
      long before = PeakMemory.currentBytes();
      PeakMemory.resetPeak();
      runQuantizer(env, s, z, n, d); // warm-up, and the first call's memory
      chunkedPeak = PeakMemory.peakBytes() - before;
      long start = System.nanoTime();
      for (int round = 0; round < 3 || System.nanoTime() - start < 3 * o.secondsPerPoint() * 1e9; round++) {
        for (MatMul m : peakRuns) {
          m.runOnce();
        }
        long t0 = System.nanoTime();
        runQuantizer(env, s, z, n, d);
        seconds = Math.min(seconds, (System.nanoTime() - t0) / 1e9);
      }
    }
    List<MatMulRow> matmuls = new ArrayList<>();
    for (MatMul m : peakRuns) {
      matmuls.add(m.row());
      LOG.info("MatMul {}: {} GFLOP/s (best call)", m.row().shape(), fmt(m.row().gflops()));
      m.close();
    }
    double peak = matmuls.stream().mapToDouble(MatMulRow::gflops).max().orElseThrow();
    double gflops = 2.0 * n * k * d / seconds / 1e9;
    LOG.info(
        "quantizer K={} D={} N={} chunk={}: {} s/call, {} tokens/s, {} GFLOP/s = {}% of the {} GFLOP/s MatMul peak",
        k, d, n, o.chunk(), fmt(seconds), fmt(n / seconds), fmt(gflops), fmt(100 * gflops / peak), fmt(peak));

    long unchunkedDelta = -1;
    long chunkedSmallDelta = -1;
    int un = o.unchunkedN();
    if (un > 0) {
      float[] zs = java.util.Arrays.copyOf(z, un * d);
      chunkedSmallDelta = memoryOfOneCall(env, chunked, zs, un, d, o.threads());
      chunked = null;
      byte[] single = quantizerModel(codebook, k, d, k);
      unchunkedDelta = memoryOfOneCall(env, single, zs, un, d, o.threads());
      LOG.info(
          "quantizer memory at N={}: chunked peak RSS +{} MB, unchunked +{} MB (its logits alone: {} MB)",
          un, chunkedSmallDelta >> 20, unchunkedDelta >> 20, (4L * un * k) >> 20);
    }
    return new QuantizerResult(
        k, d, n, o.chunk(), seconds, n / seconds, gflops, peak, matmuls,
        4L * n * Math.min(o.chunk(), k), chunkedPeak, un, 4L * un * k, unchunkedDelta, chunkedSmallDelta);
  }

  /**
   * Peak RSS growth of the first call on a fresh session, measured after the session (weights, prepacked
   * MatMul operands) exists: the memory the call itself needs (activations, logits, arena growth).
   */
  private static long memoryOfOneCall(OrtEnvironment env, byte[] model, float[] z, int n, int d, int threads)
      throws OrtException {
    try (OrtSession s = session(env, model, threads)) {
      System.gc();
      long before = PeakMemory.currentBytes();
      PeakMemory.resetPeak();
      runQuantizer(env, s, z, n, d);
      return PeakMemory.peakBytes() - before;
    }
  }

  private static byte[] quantizerModel(float[] codebook, int k, int d, int chunk) {
    OnnxGraph g = new OnnxGraph("quantizer");
    g.input("z", TensorProto.DataType.FLOAT, -1, d);
    String idx = new QuantizerGraph(g, codebook, k, d, chunk, IndexPropagationQuantizer.KIND).argmaxFlat("z");
    g.node("Identity", new String[] {idx}, new String[] {"index"});
    g.output("index", TensorProto.DataType.INT64, -1);
    return g.model("quantizer benchmark", Map.of()).toByteArray();
  }

  private static OrtSession session(OrtEnvironment env, byte[] model, int threads) throws OrtException {
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (threads > 0) {
        so.setIntraOpNumThreads(threads);
      }
      so.setInterOpNumThreads(1);
      return env.createSession(model, so);
    }
  }

  private static void runQuantizer(OrtEnvironment env, OrtSession s, float[] z, int n, int d) throws OrtException {
    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(z), new long[] {n, d});
        OrtSession.Result r = s.run(Map.of("z", in))) {
      r.get(0);
    }
  }

  /** An ORT MatMul (m, kk) x (kk, nn) with the right operand a constant, as in the quantizer; keeps its best call. */
  private static final class MatMul implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final OnnxTensor input;
    private final String shape;
    private final double flops;
    private double best = Double.MAX_VALUE;

    MatMul(OrtEnvironment env, int m, int kk, int nn, int threads) throws OrtException {
      this.env = env;
      Random rnd = new Random(2);
      float[] b = new float[kk * nn];
      for (int i = 0; i < b.length; i++) {
        b[i] = rnd.nextFloat() - 0.5f;
      }
      float[] a = new float[m * kk];
      for (int i = 0; i < a.length; i++) {
        a[i] = rnd.nextFloat() - 0.5f;
      }
      OnnxGraph g = new OnnxGraph("matmul");
      g.input("a", TensorProto.DataType.FLOAT, -1, kk);
      String bName = g.floats("b", b, kk, nn);
      String c = g.op("MatMul", "c", new String[] {"a", bName});
      g.node("Identity", new String[] {c}, new String[] {"out"});
      g.output("out", TensorProto.DataType.FLOAT, -1, nn);
      session = session(env, g.model("matmul", Map.of()).toByteArray(), threads);
      input = OnnxTensor.createTensor(env, FloatBuffer.wrap(a), new long[] {m, kk});
      shape = "(" + m + "x" + kk + ")x(" + kk + "x" + nn + ")";
      flops = 2.0 * m * kk * nn;
      runOnce(); // warm-up (prepacking)
      best = Double.MAX_VALUE;
    }

    void runOnce() throws OrtException {
      long t0 = System.nanoTime();
      try (OrtSession.Result r = session.run(Map.of("a", input))) {
        r.get(0);
      }
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }

    MatMulRow row() {
      return new MatMulRow(shape, flops / best / 1e9);
    }

    @Override
    public void close() throws OrtException {
      input.close();
      session.close();
    }
  }

  /** The CPU model, visible cores, Java and ONNX Runtime versions, for a results file. */
  static String machine() {
    String cpu = "unknown CPU";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).trim();
          break;
        }
      }
    } catch (IOException e) {
      // keep "unknown CPU"
    }
    return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores visible, Java "
        + System.getProperty("java.version") + ", ONNX Runtime " + OrtEnvironment.getEnvironment().getVersion();
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 1 ? "%.2f" : "%.3g", v);
  }

  private static void write(Result r, Path results) throws IOException {
    if (results.toAbsolutePath().getParent() != null) {
      Files.createDirectories(results.toAbsolutePath().getParent());
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("result", r);
    Files.writeString(
        Path.of(results + ".json"),
        Json.pretty(json) + "\n");
    StringBuilder md = new StringBuilder();
    md.append("# Export benchmark\n\n");
    md.append("Reproduce: `").append(r.command()).append("`\n\n");
    md.append("Run ").append(r.when()).append(" on ").append(r.machine()).append(".\n");
    md.append("Model: ").append(r.model()).append(".\n");
    md.append("Threads: ").append(r.threads() == 0 ? "each engine's default" : r.threads() + " intra-op thread(s) in both ONNX Runtime and libtorch")
        .append("; ONNX Runtime execution provider: ").append(r.onnxProvider()).append(" (DJL/libtorch on the CPU).\n\n");
    md.append("## Encode throughput, same weights and images (images/s)\n\n");
    md.append("| batch | ONNX Runtime | DJL (PyTorch) | ONNX / DJL |\n|---:|---:|---:|---:|\n");
    for (EncodeRow row : r.encode()) {
      md.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.2fx |%n", row.batch(), row.onnxImagesPerSecond(),
          row.djlImagesPerSecond(), row.speedup()));
    }
    QuantizerResult q = r.quantizer();
    md.append(String.format(Locale.ROOT, "%n## Quantizer alone: K = %d, D = %d, N = %d positions per call, chunk %d%n%n",
        q.k(), q.d(), q.n(), q.chunk()));
    md.append(String.format(Locale.ROOT, "- %.3f s per call, %.0f tokens/s, %.1f GFLOP/s (2NKD per call)%n",
        q.seconds(), q.tokensPerSecond(), q.gflops()));
    md.append(String.format(Locale.ROOT, "- matrix-multiply peak measured in this run: %.1f GFLOP/s -> %.0f%% of peak%n",
        q.peakGflops(), 100 * q.fractionOfPeak()));
    for (MatMulRow m : q.matmuls()) {
      md.append(String.format(Locale.ROOT, "  - ORT MatMul %s: %.1f GFLOP/s%n", m.shape(), m.gflops()));
    }
    md.append(String.format(Locale.ROOT, "- peak RSS growth of one call (session already loaded): %d MB (one chunk's logits: %d MB; unchunked logits would be %d MB)%n",
        q.peakRssDeltaBytes() >> 20, q.chunkedLogitsBytes() >> 20, (4L * q.n() * q.k()) >> 20));
    if (q.unchunkedN() > 0) {
      md.append(String.format(Locale.ROOT,
          "- one call at N = %d: chunked peak RSS +%d MB vs unchunked single MatMul +%d MB (its (N, K) logits alone: %d MB)%n",
          q.unchunkedN(), q.chunkedAtUnchunkedNPeakRssDeltaBytes() >> 20, q.unchunkedPeakRssDeltaBytes() >> 20,
          q.unchunkedLogitsBytes() >> 20));
    }
    if (r.parity() != null) {
      md.append("\n## Parity, ONNX vs DJL\n\n").append(r.parity().summary()).append("\n");
    }
    md.append(NOTES);
    Files.writeString(Path.of(results + ".md"), md.toString());
  }
}
