package dev.ibq.training.export;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.ibq.training.io.Json;
import dev.ibq.training.tokenizer.IndexPropagationQuantizer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The large-K quantizer (IBQ argmax over K codes, D dims, N positions per call) against this core's real float32
 * peak: OpenBLAS sgemm on a large square product at one thread and a register-resident FMA loop in the CPU's widest
 * vectors (AVX-512, else AVX2), both from a small C program ({@code float32-peak.c}) compiled at run time for this CPU, timed in the same interleaved rounds as the ONNX
 * Runtime quantizer graphs (the exported chunked graph at several chunk sizes, and the int8 coarse + float32 rerank
 * variant of {@link CoarseRerankGraph}).
 *
 * <p>Every item keeps its best call in wall time and, separately, in thread CPU time (the calling thread; with one
 * intra-op thread ONNX Runtime computes on the caller). Effective GFLOP/s of a quantizer = 2 N K D / time, whatever
 * the graph computes.
 */
public final class QuantizerPeakBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(QuantizerPeakBenchmark.class);
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private QuantizerPeakBenchmark() {}

  /**
   * @param chunks chunk sizes of the exported float32 graph; the first is the reference for token agreement
   * @param coarseChunk chunk size of the int8 coarse pass (0 = skip the variant)
   * @param perChunk coarse candidates kept per chunk
   * @param candidates candidates rescored in float32 per position
   * @param rounds interleaved timing rounds
   * @param gemmN side of the square sgemm
   * @param agreementCalls batches of N positions (different z) for the token agreement
   */
  public record Options(
      int k, int d, int n, List<Integer> chunks, int coarseChunk, int perChunk, int candidates, int rounds, int gemmN,
      int agreementCalls, int threads) {}

  /** One timed item: best wall and best thread-CPU GFLOP/s. */
  public record Item(String name, double wallGflops, double cpuGflops, double wallSeconds) {}

  public record Agreement(long positions, long equal) {
    public double fraction() {
      return positions == 0 ? Double.NaN : (double) equal / positions;
    }
  }

  public record Result(
      String when, String command, String machine, String loadBefore, String loadAfter, String nativeNote,
      Item sgemm, Item fma, List<Item> quantizers, Agreement coarseAgreement, Options options) {
    /** The peak: the higher achieved GEMM (sgemm), in wall and CPU terms; NaN when the native part did not run. */
    double peakWall() {
      return sgemm == null ? Double.NaN : sgemm.wallGflops();
    }

    double peakCpu() {
      return sgemm == null ? Double.NaN : sgemm.cpuGflops();
    }
  }

  public static Result run(Options o, Path results, String command) throws IOException, OrtException, InterruptedException {
    String loadBefore = loadAverage();
    Native nat = Native.build();
    LOG.info("native peak: {}", nat.note);
    int k = o.k();
    int d = o.d();
    int n = o.n();
    Random rnd = new Random(1);
    float[] codebook = new float[k * d];
    for (int i = 0; i < codebook.length; i++) {
      codebook[i] = (float) rnd.nextGaussian();
    }
    List<float[]> zs = new ArrayList<>();
    for (int c = 0; c < Math.max(1, o.agreementCalls()); c++) {
      float[] z = new float[n * d];
      for (int i = 0; i < z.length; i++) {
        z[i] = (float) (rnd.nextGaussian() / Math.sqrt(d));
      }
      zs.add(z);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    List<String> names = new ArrayList<>();
    List<OrtSession> sessions = new ArrayList<>();
    try {
      for (int chunk : o.chunks()) {
        names.add("float32 chunked argmax, chunk " + Math.min(chunk, k));
        sessions.add(session(env, floatModel(codebook, k, d, chunk), o.threads()));
      }
      if (o.coarseChunk() > 0) {
        names.add("int8 coarse (chunk " + Math.min(o.coarseChunk(), k) + ", top " + o.perChunk() + " per chunk) + float32 rerank of "
            + o.candidates());
        sessions.add(session(env, coarseModel(codebook, k, d, o.coarseChunk(), o.perChunk(), o.candidates()), o.threads()));
      }
      double[] bestWall = new double[sessions.size()];
      double[] bestCpu = new double[sessions.size()];
      java.util.Arrays.fill(bestWall, Double.MAX_VALUE);
      java.util.Arrays.fill(bestCpu, Double.MAX_VALUE);
      for (OrtSession s : sessions) {
        call(env, s, zs.get(0), n, d); // warm-up
      }
      double[] sgemm = null;
      double[] fma = null;
      for (int round = 0; round < o.rounds(); round++) {
        if (nat.binary != null) {
          sgemm = best(sgemm, nat.sgemm(o.gemmN()));
          fma = best(fma, nat.fma());
        }
        for (int i = 0; i < sessions.size(); i++) {
          long c0 = THREADS.getCurrentThreadCpuTime();
          long t0 = System.nanoTime();
          call(env, sessions.get(i), zs.get(0), n, d);
          bestWall[i] = Math.min(bestWall[i], (System.nanoTime() - t0) / 1e9);
          bestCpu[i] = Math.min(bestCpu[i], (THREADS.getCurrentThreadCpuTime() - c0) / 1e9);
        }
        LOG.info("round {} of {} done (load average {})", round + 1, o.rounds(), loadAverage());
      }
      double flops = 2.0 * n * k * d;
      List<Item> items = new ArrayList<>();
      for (int i = 0; i < sessions.size(); i++) {
        items.add(new Item(names.get(i), flops / bestWall[i] / 1e9, flops / bestCpu[i] / 1e9, bestWall[i]));
      }
      Agreement agreement = null;
      if (o.coarseChunk() > 0) {
        long equal = 0;
        long total = 0;
        for (float[] z : zs) {
          long[] ref = call(env, sessions.get(0), z, n, d);
          long[] coarse = call(env, sessions.get(sessions.size() - 1), z, n, d);
          for (int p = 0; p < n; p++) {
            equal += ref[p] == coarse[p] ? 1 : 0;
          }
          total += n;
        }
        agreement = new Agreement(total, equal);
      }
      Item sgemmItem = sgemm == null ? null
          : new Item("OpenBLAS sgemm " + o.gemmN() + "^3, 1 thread (core " + nat.core + ")", sgemm[0], sgemm[1], Double.NaN);
      Item fmaItem = fma == null ? null : new Item(nat.fmaName(), fma[0], fma[1], Double.NaN);
      Result r = new Result(Instant.now().toString(), command, ExportBenchmark.machine(), loadBefore, loadAverage(), nat.note, sgemmItem,
          fmaItem, items, agreement, o);
      write(r, results);
      return r;
    } finally {
      for (OrtSession s : sessions) {
        s.close();
      }
    }
  }

  private static double[] best(double[] a, double[] b) {
    if (b == null) {
      return a;
    }
    return a == null ? b : new double[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])};
  }

  static byte[] floatModel(float[] codebook, int k, int d, int chunk) {
    OnnxGraph g = new OnnxGraph("quantizer");
    g.input("z", TensorProto.DataType.FLOAT, -1, d);
    String idx = new QuantizerGraph(g, codebook, k, d, chunk, IndexPropagationQuantizer.KIND).argmaxFlat("z");
    g.node("Identity", new String[] {idx}, new String[] {"index"});
    g.output("index", TensorProto.DataType.INT64, -1);
    return g.model("quantizer benchmark", Map.of()).toByteArray();
  }

  static byte[] coarseModel(float[] codebook, int k, int d, int chunk, int perChunk, int candidates) {
    OnnxGraph g = new OnnxGraph("quantizer_coarse");
    g.input("z", TensorProto.DataType.FLOAT, -1, d);
    String idx = new CoarseRerankGraph(g, codebook, k, d, chunk, perChunk, candidates).argmaxFlat("z");
    g.node("Identity", new String[] {idx}, new String[] {"index"});
    g.output("index", TensorProto.DataType.INT64, -1);
    return g.model("coarse-rerank quantizer benchmark", Map.of()).toByteArray();
  }

  static OrtSession session(OrtEnvironment env, byte[] model, int threads) throws OrtException {
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (threads > 0) {
        so.setIntraOpNumThreads(threads);
      }
      so.setInterOpNumThreads(1);
      return env.createSession(model, so);
    }
  }

  /** Token ids (N) of z (N, D). */
  static long[] call(OrtEnvironment env, OrtSession s, float[] z, int n, int d) throws OrtException {
    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(z), new long[] {n, d});
        OrtSession.Result r = s.run(Map.of("z", in))) {
      LongBuffer out = ((OnnxTensor) r.get(0)).getLongBuffer();
      long[] ids = new long[out.remaining()];
      out.get(ids);
      return ids;
    }
  }

  /** The C peak program, compiled into a temporary directory when a C compiler and OpenBLAS are present. */
  static final class Native {
    final Path binary;
    final String note;
    final String core;
    private final Map<String, String> env = new LinkedHashMap<>();
    private String isa;
    private String accumulators;

    private Native(Path binary, String note, String core) {
      this.binary = binary;
      this.note = note;
      this.core = core;
    }

    static Native build() throws IOException, InterruptedException {
      Path dir = Files.createTempDirectory("ibq-float32-peak");
      Path source = dir.resolve("float32-peak.c");
      try (InputStream in = QuantizerPeakBenchmark.class.getResourceAsStream("float32-peak.c")) {
        if (in == null) {
          throw new IOException("The resource dev/ibq/training/export/float32-peak.c is missing from the classpath.");
        }
        Files.copy(in, source);
      }
      Path binary = dir.resolve("float32-peak");
      List<String> cmd = List.of("cc", "-O2", "-march=native", "-I/usr/include/x86_64-linux-gnu/openblas-pthread",
          "-I/usr/include/openblas", "-o", binary.toString(), source.toString(), "-lopenblas");
      String[] out = new String[1];
      int rc;
      try {
        rc = exec(cmd, Map.of(), out, 120);
      } catch (IOException e) {
        return new Native(null, "no C compiler (`cc`) found: the native float32 peak (OpenBLAS sgemm, FMA"
            + " loop) was NOT measured; install gcc and libopenblas-dev to get it", "none");
      }
      if (rc != 0) {
        return new Native(null, "compiling float32-peak.c with `" + String.join(" ", cmd) + "` failed (exit " + rc
            + "): the native float32 peak was NOT measured. Compiler output: " + out[0].strip(), "none");
      }
      Native probe = new Native(binary, "", "");
      String[] line = probe.runLine("sgemm", "256", "1");
      String detected = line[4];
      String flags = cpuFlags();
      String note = "float32-peak.c compiled at run time with `" + String.join(" ", cmd) + "`; OpenBLAS "
          + "(OPENBLAS_NUM_THREADS=1) picked core type " + detected;
      String forced = forcedCoreType(flags, detected);
      if (forced == null) {
        return new Native(binary, note, detected);
      }
      // NOTE: on KVM guests (CPU model "Intel Xeon Processor", "AMD EPYC") OpenBLAS 0.3.21's DYNAMIC_ARCH detection
      // falls back to the Prescott (SSE3) kernels; the kernels of the widest vector ISA the CPU reports are forced,
      // which is the fastest GEMM that runs here.
      Native nat = new Native(binary, note + " although the CPU has " + (forced.equals("SkylakeX") ? "avx512f" : "avx2 and fma")
          + "; forced OPENBLAS_CORETYPE=" + forced + " (its " + (forced.equals("SkylakeX") ? "AVX-512" : "AVX2") + " kernels)", forced);
      nat.env.put("OPENBLAS_CORETYPE", forced);
      return nat;
    }

    /** {wall, cpu} GFLOP/s of the best of 2 sgemm calls (after a warm-up call). */
    double[] sgemm(int n) throws IOException, InterruptedException {
      String[] f = runLine("sgemm", Integer.toString(n), "2");
      return new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3])};
    }

    /** {wall, cpu} GFLOP/s of the FMA loop (best of 5 runs of about 0.3 s); {@link #isa} says which vectors. */
    double[] fma() throws IOException, InterruptedException {
      String[] f = runLine("fma", "0.3");
      if (f.length < 5) {
        throw new IOException("The native peak program printed '" + String.join(" ", f) + "'; expected 'fma WALL CPU ISA ACCUMULATORS'.");
      }
      isa = f[3];
      accumulators = f[4];
      return new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])};
    }

    /** The FMA loop's name in the results, by the vector ISA it was compiled for. */
    String fmaName() {
      return "avx2".equals(isa) ? "AVX2 FMA loop, " + accumulators + " ymm accumulators"
          : "AVX-512 FMA loop, " + accumulators + " zmm accumulators";
    }

    private String[] runLine(String... args) throws IOException, InterruptedException {
      List<String> cmd = new ArrayList<>();
      cmd.add(binary.toString());
      cmd.addAll(List.of(args));
      Map<String, String> e = new LinkedHashMap<>(env);
      e.put("OPENBLAS_NUM_THREADS", "1");
      String[] out = new String[1];
      int rc = exec(cmd, e, out, 600);
      String[] f = out[0].strip().split("\\s+");
      if (rc != 0 || f.length < 3) {
        throw new IOException("The native peak program `" + String.join(" ", cmd) + "` exited with " + rc
            + " and printed '" + out[0].strip() + "'; expected one line 'sgemm N WALL CPU CORE' or 'fma WALL CPU ISA ACCUMULATORS'.");
      }
      return f;
    }
  }

  private static int exec(List<String> cmd, Map<String, String> env, String[] output, long timeoutSeconds)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] bytes = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("`" + String.join(" ", cmd) + "` did not finish within " + timeoutSeconds + " s.");
    }
    output[0] = new String(bytes, StandardCharsets.UTF_8);
    return p.exitValue();
  }

  /**
   * The OpenBLAS core type to force for the widest vector ISA in the CPU's {@code flags}, or null when OpenBLAS's
   * own pick ({@code detected}) already uses it (or the CPU has neither AVX-512 nor AVX2 + FMA).
   */
  static String forcedCoreType(String flags, String detected) {
    String core = detected.toLowerCase(Locale.ROOT);
    String f = " " + flags.strip() + " ";
    if (f.contains(" avx512f ")) {
      return core.matches("skylakex|cooperlake|sapphirerapids") ? null : "SkylakeX";
    }
    if (f.contains(" avx2 ") && f.contains(" fma ")) {
      return core.matches("haswell|zen|skylakex|cooperlake|sapphirerapids") ? null : "Haswell";
    }
    return null;
  }

  private static String cpuFlags() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
      if (line.startsWith("flags")) {
        return line + " ";
      }
    }
    return "";
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).strip();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String pct(double part, double whole) {
    return Double.isNaN(whole) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", 100 * part / whole);
  }

  private static void write(Result r, Path results) throws IOException {
    if (results.toAbsolutePath().getParent() != null) {
      Files.createDirectories(results.toAbsolutePath().getParent());
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("result", r);
    Files.writeString(Path.of(results + ".json"), Json.pretty(json) + "\n");
    Options o = r.options();
    StringBuilder md = new StringBuilder();
    md.append("# The large-K quantizer against this core's float32 peak\n\n");
    md.append("Reproduce: `").append(r.command()).append("`\n\n");
    md.append("Run ").append(r.when()).append(" on ").append(r.machine()).append(".\n");
    md.append("Load average (/proc/loadavg) before: ").append(r.loadBefore()).append("; after: ").append(r.loadAfter())
        .append(".\n");
    md.append("Native peak: ").append(r.nativeNote()).append(".\n\n");
    md.append(String.format(Locale.ROOT,
        "Quantizer: K = %d, D = %d, N = %d positions per call, %d intra-op thread(s); %d interleaved rounds, each item"
            + " keeps its best call. Effective GFLOP/s = 2 N K D / time.%n%n",
        o.k(), o.d(), o.n(), o.threads(), o.rounds()));
    md.append("| item | GFLOP/s (wall) | of peak (wall) | GFLOP/s (thread CPU time) | of peak (CPU) |\n|---|---:|---:|---:|---:|\n");
    double pw = r.peakWall();
    double pc = r.peakCpu();
    List<Item> all = new ArrayList<>();
    if (r.sgemm() != null) {
      all.add(r.sgemm());
      all.add(r.fma());
    }
    all.addAll(r.quantizers());
    for (Item i : all) {
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %.1f | %s |%n", i.name(), i.wallGflops(),
          pct(i.wallGflops(), pw), i.cpuGflops(), pct(i.cpuGflops(), pc)));
    }
    if (r.coarseAgreement() != null) {
      Agreement a = r.coarseAgreement();
      md.append(String.format(Locale.ROOT,
          "%nToken agreement of the int8 coarse + rerank variant with the float32 chunked argmax (chunk %d): %d of %d"
              + " positions (%.4f%%), on Gaussian data with the benchmark codebook's statistics (codes N(0, 1),"
              + " z N(0, 1/D)); not on encoder latents.%n",
          Math.min(o.chunks().get(0), o.k()), a.equal(), a.positions(), 100 * a.fraction()));
    }
    md.append(
        """

        ## How to read these figures

        - "Peak" is the OpenBLAS sgemm figure of the same run (the higher achieved GEMM); the FMA loop is the core's
          register-resident FMA throughput, the bound any float32 GEMM approaches. Ratios are per column: wall
          against wall, thread CPU time against thread CPU time.
        - Items are timed in interleaved rounds (sgemm, FMA loop, then each quantizer graph once per round) and each
          keeps its best call, so all sides of a ratio see the same background load. The thread-CPU-time column
          leaves out the time a thread waited for a core on this shared host; with 2 vCPUs that may be hyperthreads
          of one core, a busy sibling still slows every figure.
        - The int8 variant computes fewer float32 FLOPs than 2 N K D (its coarse pass is integer); its GFLOP/s is the
          rate at which it delivers the same argmax, comparable with the float32 graph's.
        """);
    Files.writeString(Path.of(results + ".md"), md.toString());
  }
}
