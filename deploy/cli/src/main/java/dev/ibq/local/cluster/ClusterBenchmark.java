package dev.ibq.local.cluster;

import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.image.source.ImageRecords;
import dev.ibq.stream.job.TokenizeJob;
import dev.ibq.local.kafka.AvroTopicReader;
import dev.ibq.local.kafka.ImageProducer;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Throughput of the same job on the standalone cluster (separate JobManager / TaskManager JVMs, job jar
 * over REST, ONNX Runtime from lib/) against a Flink mini cluster inside this JVM: same images, same
 * broker process, same settings, alternating in one run. Written to
 * {@code streaming-job/benchmarks/cluster.{json,md}}.
 *
 * <p>Two rates per run: over the job's whole run time (Flink's net runtime for the mini cluster, the REST
 * {@code duration} for the cluster; both include task deployment and model load, not the cluster start)
 * and the steady rate between the first and the last output record's timestamp.
 *
 * <p>Usage (after {@code mvn -q package -DskipTests}): {@code java -cp
 * "deploy/cli/target/classes:$(cat deploy/cli/target/classpath.txt)" dev.ibq.local.cluster.ClusterBenchmark
 * [--images 5000] [--batch 32] [--reps 2] [--model FILE] [--out streaming-job/benchmarks]}
 */
public final class ClusterBenchmark {
  private ClusterBenchmark() {}

  /** One job run: where, how many records, how long. */
  record Run(String where, int rep, int records, int duplicates, long jobMillis, long wallMillis, double jobRate, double steadyRate) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("images", "5000");
    a.put("batch", "32");
    a.put("reps", "2");
    a.put("model", ProjectPaths.root().resolve("deploy/models/fmnist-small/encoder.onnx").toString());
    a.put("out", ProjectPaths.root().resolve("streaming-job/benchmarks").toString());
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--") || !a.containsKey(args[i].substring(2))) {
        throw new IllegalArgumentException("Unknown option " + args[i] + "; expected one of " + a.keySet());
      }
      a.put(args[i].substring(2), args[i + 1]);
    }
    int n = Integer.parseInt(a.get("images"));
    int reps = Integer.parseInt(a.get("reps"));
    List<ImageRecord> images = ImageRecords.fashionMnist(FashionMnist.load(FashionMnist.Split.TEST), 0, n);
    List<Run> runs = new ArrayList<>();
    String loadBefore = loadAverage();
    long t0 = System.nanoTime();
    try (StandaloneCluster cluster = StandaloneCluster.start(Files.createTempDirectory("ibq-bench-cluster"), 1, 2)) {
      long clusterStartMillis = (System.nanoTime() - t0) / 1_000_000;
      String jarId = cluster.rest().uploadJar(ProjectPaths.jobJar());
      for (int rep = 1; rep <= reps; rep++) {
        runs.add(run("mini cluster", rep, cluster, null, images, a));
        runs.add(run("standalone cluster", rep, cluster, jarId, images, a));
      }
      write(Path.of(a.get("out")), a, runs, clusterStartMillis, cluster.rest().overview().flinkVersion(), loadBefore + " -> " + loadAverage());
    }
  }

  private static Run run(String where, int rep, StandaloneCluster cluster, String jarId, List<ImageRecord> images, Map<String, String> a)
      throws Exception {
    String id = (jarId == null ? "mini" : "cluster") + "-" + rep + "-" + Long.toString(System.currentTimeMillis(), 36);
    String in = "bench.images." + id, out = "bench.tokens." + id, dlq = "bench.dead-letters." + id;
    KafkaBrokerProcess.createTopics(cluster.bootstrapServers(), 1, in, out, dlq);
    try (ImageProducer p = new ImageProducer(cluster.bootstrapServers(), in, 0, null)) {
      images.forEach(p::send);
    }
    Map<String, String> s = new LinkedHashMap<>();
    s.put(JobConfig.BOOTSTRAP_SERVERS, cluster.bootstrapServers());
    s.put(JobConfig.MODEL, a.get("model"));
    s.put(JobConfig.INPUT_TOPIC, in);
    s.put(JobConfig.OUTPUT_TOPIC, out);
    s.put(JobConfig.DEAD_LETTER_TOPIC, dlq);
    s.put(JobConfig.GROUP_ID, id);
    s.put(JobConfig.TRANSACTIONAL_ID_PREFIX, id);
    s.put(JobConfig.BATCH_SIZE, a.get("batch"));
    s.put(JobConfig.CHECKPOINT_INTERVAL_MS, "1000");
    s.put(JobConfig.EXECUTION_PROVIDER, "cpu");
    s.put(JobConfig.STARTING_OFFSETS, "earliest");
    s.put(JobConfig.BOUNDED, "true");
    JobConfig config = JobConfig.fromMap(s);
    long w0 = System.nanoTime();
    long jobMillis;
    if (jarId == null) {
      StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, TokenizeJob.flinkConfiguration(config));
      JobExecutionResult r = TokenizeJob.execute(env, config);
      jobMillis = r.getNetRuntime();
    } else {
      String jobId = cluster.rest().runJar(jarId, null, FlinkRestClient.programArgs(s), 1, null);
      cluster.rest().awaitJobState(jobId, Set.of("FINISHED"), Duration.ofMinutes(15));
      jobMillis = cluster.rest().jobDurationMillis(jobId);
    }
    long wallMillis = (System.nanoTime() - w0) / 1_000_000;
    List<AvroTopicReader.Entry<TokenRecord>> got = AvroTopicReader.readAll(cluster.bootstrapServers(), out, TokenRecord.class, null, Duration.ofMinutes(2));
    Set<String> ids = new HashSet<>();
    long first = Long.MAX_VALUE, last = Long.MIN_VALUE;
    for (AvroTopicReader.Entry<TokenRecord> e : got) {
      ids.add(e.key());
      first = Math.min(first, e.timestamp());
      last = Math.max(last, e.timestamp());
    }
    double steady = got.size() > 1 && last > first ? (got.size() - 1) * 1000.0 / (last - first) : Double.NaN;
    Run r = new Run(where, rep, got.size(), got.size() - ids.size(), jobMillis, wallMillis, got.size() * 1000.0 / jobMillis, steady);
    System.out.printf(Locale.ROOT, "%-18s rep %d: %d records (%d duplicates), job %.1f s -> %.0f images/s, steady %.0f images/s, wall %.1f s%n",
        where, rep, r.records(), r.duplicates(), jobMillis / 1000.0, r.jobRate(), r.steadyRate(), wallMillis / 1000.0);
    return r;
  }

  /** The 1-minute load average (the machine may be shared with other work), or "n/a". */
  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "n/a";
    }
  }

  private static void write(Path dir, Map<String, String> a, List<Run> runs, long clusterStartMillis, String flinkVersion, String load)
      throws Exception {
    Files.createDirectories(dir);
    String command = "java -cp \"deploy/cli/target/classes:$(cat deploy/cli/target/classpath.txt)\" dev.ibq.local.cluster.ClusterBenchmark"
        + " --images " + a.get("images") + " --batch " + a.get("batch") + " --reps " + a.get("reps");
    double[] mini = mean(runs, "mini cluster"), cl = mean(runs, "standalone cluster");
    StringBuilder json = new StringBuilder("{\n");
    json.append(String.format(Locale.ROOT, "  \"date\": \"%s\",%n  \"command\": \"%s\",%n", Instant.now(), command.replace("\"", "\\\"")));
    json.append(String.format(Locale.ROOT, "  \"flink\": \"%s\",%n  \"cores\": %d,%n  \"images\": %s,%n  \"batch\": %s,%n  \"model\": \"%s\",%n",
        flinkVersion, Runtime.getRuntime().availableProcessors(), a.get("images"), a.get("batch"), Path.of(a.get("model")).getFileName()));
    json.append(String.format(Locale.ROOT, "  \"cluster_start_ms\": %d,%n  \"load_average_1m\": \"%s\",%n", clusterStartMillis, load));
    json.append(String.format(Locale.ROOT, "  \"mini_job_images_per_s\": %.1f,%n  \"mini_steady_images_per_s\": %.1f,%n", mini[0], mini[1]));
    json.append(String.format(Locale.ROOT, "  \"cluster_job_images_per_s\": %.1f,%n  \"cluster_steady_images_per_s\": %.1f,%n", cl[0], cl[1]));
    json.append(String.format(Locale.ROOT, "  \"cluster_over_mini_job\": %.3f,%n  \"cluster_over_mini_steady\": %.3f,%n", cl[0] / mini[0], cl[1] / mini[1]));
    json.append("  \"runs\": [\n");
    for (int i = 0; i < runs.size(); i++) {
      Run r = runs.get(i);
      json.append(String.format(Locale.ROOT,
          "    {\"where\": \"%s\", \"rep\": %d, \"records\": %d, \"duplicates\": %d, \"job_ms\": %d, \"wall_ms\": %d, \"job_images_per_s\": %.1f, \"steady_images_per_s\": %.1f}%s%n",
          r.where(), r.rep(), r.records(), r.duplicates(), r.jobMillis(), r.wallMillis(), r.jobRate(), r.steadyRate(), i + 1 < runs.size() ? "," : ""));
    }
    json.append("  ]\n}\n");
    Files.writeString(dir.resolve("cluster.json"), json.toString(), StandardCharsets.UTF_8);

    StringBuilder md = new StringBuilder("# Standalone cluster vs mini cluster throughput\n\n");
    md.append("Command (repository root, after `mvn -q package -DskipTests`):\n\n    ").append(command).append("\n\n");
    md.append(String.format(Locale.ROOT,
        "%s; Flink %s, %d cores; %s Fashion-MNIST test images (PNG), batch %s, parallelism 1, exactly-once, checkpoints every 1 s,"
            + " ONNX Runtime CPU, model %s; one Kafka broker process for both. Standalone cluster: JobManager + 1 TaskManager"
            + " (2 slots, 1.6 GB heap, G1) as separate JVMs, job jar over REST; started in %.1f s (not counted)."
        + " 1-minute load average before -> after: %s.%n%n",
        Instant.now(), flinkVersion, Runtime.getRuntime().availableProcessors(), a.get("images"), a.get("batch"),
        Path.of(a.get("model")).getFileName(), clusterStartMillis / 1000.0, load));
    md.append("| where | rep | records | duplicates | job s | images/s (job) | images/s (steady) | wall s |\n|---|---|---|---|---|---|---|---|\n");
    for (Run r : runs) {
      md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.1f | %.0f | %.0f | %.1f |%n",
          r.where(), r.rep(), r.records(), r.duplicates(), r.jobMillis() / 1000.0, r.jobRate(), r.steadyRate(), r.wallMillis() / 1000.0));
    }
    md.append(String.format(Locale.ROOT,
        "%nMeans: mini cluster %.0f images/s (job), %.0f (steady); standalone cluster %.0f (job), %.0f (steady);"
            + " ratio cluster/mini %.2f (job), %.2f (steady).%n%n",
        mini[0], mini[1], cl[0], cl[1], cl[0] / mini[0], cl[1] / mini[1]));
    md.append("'job' divides by the job's whole run time (task deployment and model load included; for the standalone cluster also"
        + " the job graph build from the uploaded jar and slot allocation); 'steady' by the span between the first and the last"
        + " output record's timestamp. The machine is shared with other builds, so single runs vary.\n");
    Files.writeString(dir.resolve("cluster.md"), md.toString(), StandardCharsets.UTF_8);
    System.out.println("Wrote " + dir.resolve("cluster.json") + " and " + dir.resolve("cluster.md"));
  }

  private static double[] mean(List<Run> runs, String where) {
    double job = 0, steady = 0;
    int k = 0;
    for (Run r : runs) {
      if (r.where().equals(where)) {
        job += r.jobRate();
        steady += r.steadyRate();
        k++;
      }
    }
    return new double[] {job / k, steady / k};
  }
}
