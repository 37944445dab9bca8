package dev.ibq.local.bench;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FashionMnist;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.codec.AvroCodec;
import dev.ibq.stream.config.DeliveryGuarantee;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.local.embedded.EmbeddedPipeline;
import dev.ibq.image.source.ImageRecords;
import dev.ibq.stream.job.TokenizeJob;
import dev.ibq.local.kafka.AvroTopicReader;
import dev.ibq.local.kafka.ImageProducer;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * End-to-end benchmark of the stream job, written to {@code streaming-job/benchmarks/stream.{json,md}}.
 *
 * <p>In one run, on the same Fashion-MNIST test images and batch size: (1) the raw ONNX tokenizer's
 * images/s on preprocessed tensors (inference only) and with PNG decode + preprocess on one thread;
 * (2) the job's saturated throughput, Kafka -> Flink -> Kafka, exactly-once; (3) end-to-end latency
 * (consumer receive time - producer send time, read_committed) at a fixed input rate of half the saturated
 * throughput, for at-least-once and exactly-once delivery.
 *
 * <p>Usage: {@code java -cp ... dev.ibq.local.bench.StreamBenchmark [--model encoder.onnx] [--images 5000]
 * [--batch 32] [--provider cpu|auto|cuda] [--latency-seconds 20] [--out streaming-job/benchmarks]
 * [--spinning-rounds N]}; with {@code --spinning-rounds N} it measures only the saturated throughput with ONNX
 * Runtime's thread spinning on and off, alternating, N rounds each.
 */
public final class StreamBenchmark {
  private StreamBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("model", "deploy/models/fmnist-small/encoder.onnx");
    a.put("images", "5000");
    a.put("batch", "32");
    a.put("provider", "cpu");
    a.put("latency-seconds", "20");
    a.put("checkpoint-ms", "1000");
    a.put("out", "streaming-job/benchmarks");
    a.put("spinning-rounds", "0");
    for (int i = 0; i + 1 < args.length; i += 2) {
      String k = args[i].replaceFirst("^--", "");
      if (!a.containsKey(k)) {
        throw new IllegalArgumentException("Unknown option --" + k + "; known: " + a.keySet());
      }
      a.put(k, args[i + 1]);
    }
    Path model = JobConfig.resolveModel(a.get("model"));
    int n = Integer.parseInt(a.get("images"));
    int batch = Integer.parseInt(a.get("batch"));
    String provider = a.get("provider");
    int latencySeconds = Integer.parseInt(a.get("latency-seconds"));
    long checkpointMs = Long.parseLong(a.get("checkpoint-ms"));
    Path out = Path.of(a.get("out"));
    int spinningRounds = Integer.parseInt(a.get("spinning-rounds"));

    FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
    List<ImageRecord> images = ImageRecords.fashionMnist(test, 0, Math.min(n, test.size()));
    n = images.size();
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("command", "java -cp <classpath> dev.ibq.local.bench.StreamBenchmark " + String.join(" ", args));
    results.put("date", Instant.now().toString());
    results.put("machine", Runtime.getRuntime().availableProcessors() + " cores visible to the JVM, "
        + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version"));
    results.put("model", model.toString());
    results.put("images", n);
    results.put("batch", batch);
    results.put("provider", provider);

    // (1) raw tokenizer, measured before and after the pipeline runs (the machine's load drifts)
    results.put("load_average_before", loadAverage());
    double[] rawBefore = raw(model, provider, images, batch, results);
    System.out.printf(Locale.ROOT, "raw (before): %.0f images/s inference only, %.0f images/s with PNG decode + preprocess%n", rawBefore[0], rawBefore[1]);

    if (spinningRounds > 0) {
      compareSpinning(model, images, batch, provider, checkpointMs, spinningRounds, results);
      results.put("load_average_after", loadAverage());
      write(out, results);
      return;
    }
    try (EmbeddedPipeline pipeline = EmbeddedPipeline.start()) {
      // (2) saturated end-to-end throughput
      EmbeddedPipeline.Result r =
          pipeline.run(
              EmbeddedPipeline.Request.of(model, images)
                  .withBatch(batch, 50)
                  .withExecutionProvider(provider)
                  .withDelivery(DeliveryGuarantee.EXACTLY_ONCE, checkpointMs));
      double steady = steadyRate(r, batch);
      double wholeJob = r.imagesPerSecond();
      results.put("e2e_records_out", r.tokenRecordsOut());
      results.put("e2e_duplicates", r.duplicateImageIds());
      results.put("e2e_steady_images_per_s", round(steady));
      results.put("e2e_whole_job_images_per_s", round(wholeJob));
      results.put("e2e_job_seconds", r.jobMillis() / 1000.0);
      results.put("e2e_codebook_utilization", round2(r.codebookUtilization()));
      System.out.printf(Locale.ROOT, "e2e: %.0f images/s steady; whole job %.0f images/s%n", steady, wholeJob);
      double[] rawAfter = raw(model, provider, images, batch, null);
      double rawInference = (rawBefore[0] + rawAfter[0]) / 2;
      double rawWithDecode = (rawBefore[1] + rawAfter[1]) / 2;
      results.put("raw_inference_images_per_s_before", round(rawBefore[0]));
      results.put("raw_inference_images_per_s_after", round(rawAfter[0]));
      results.put("raw_inference_images_per_s", round(rawInference));
      results.put("raw_decode_plus_inference_images_per_s", round(rawWithDecode));
      results.put("e2e_vs_raw_inference", round2(steady / rawInference));
      results.put("e2e_vs_raw_decode_plus_inference", round2(steady / rawWithDecode));
      System.out.printf(Locale.ROOT, "raw (after): %.0f images/s; e2e / raw inference = %.2f, e2e / raw decode+inference = %.2f%n",
          rawAfter[0], steady / rawInference, steady / rawWithDecode);

      // (3) latency at half the saturated rate
      double rate = Math.max(1, steady / 2);
      results.put("latency_input_rate_per_s", round(rate));
      for (DeliveryGuarantee g : DeliveryGuarantee.values()) {
        double[] lat = latency(pipeline.bootstrapServers(), model, images, batch, provider, g, checkpointMs, rate, latencySeconds);
        String key = g == DeliveryGuarantee.EXACTLY_ONCE ? "exactly_once" : "at_least_once";
        results.put("latency_" + key + "_p50_ms", round(lat[0]));
        results.put("latency_" + key + "_p99_ms", round(lat[1]));
        results.put("latency_" + key + "_samples", (long) lat[2]);
        System.out.printf(Locale.ROOT, "latency %s at %.0f images/s: p50 %.0f ms, p99 %.0f ms (%d samples)%n", g.spelling(), rate, lat[0], lat[1], (long) lat[2]);
      }
    }
    results.put("load_average_after", loadAverage());
    write(out, results);
  }

  /**
   * {@code --spinning-rounds N}: the job's saturated throughput (exactly-once, same images and batch) with ONNX
   * Runtime's thread spinning on (its own default, the job's before session 3) and off (the job's default now),
   * alternating in one broker and one JVM, N rounds of each; the thread count is ONNX Runtime's default in both.
   */
  private static void compareSpinning(
      Path model, List<ImageRecord> images, int batch, String provider, long checkpointMs, int rounds, Map<String, Object> results)
      throws Exception {
    List<Double> on = new ArrayList<>();
    List<Double> off = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    try (EmbeddedPipeline pipeline = EmbeddedPipeline.start()) {
      for (int round = 1; round <= rounds; round++) {
        double[] pair = new double[2];
        for (int k = 0; k < 2; k++) {
          boolean spinning = k == 0;
          System.setProperty(OnnxTokenizer.SPINNING_PROPERTY, Boolean.toString(spinning));
          EmbeddedPipeline.Result r = pipeline.run(EmbeddedPipeline.Request.of(model, images).withBatch(batch, 50)
              .withExecutionProvider(provider).withDelivery(DeliveryGuarantee.EXACTLY_ONCE, checkpointMs));
          pair[k] = steadyRate(r, batch);
          System.out.printf(Locale.ROOT, "round %d, spinning %s: %.0f images/s steady (%d records, %d duplicates)%n",
              round, spinning ? "on" : "off", pair[k], r.tokenRecordsOut(), r.duplicateImageIds());
        }
        on.add(round(pair[0]));
        off.add(round(pair[1]));
        ratios.add(round2(pair[1] / pair[0]));
      }
    } finally {
      System.clearProperty(OnnxTokenizer.SPINNING_PROPERTY);
    }
    results.put("spinning_on_steady_images_per_s", on);
    results.put("spinning_off_steady_images_per_s", off);
    results.put("spinning_off_vs_on_per_round", ratios);
    results.put("spinning_off_vs_on_median", ratios.stream().sorted().toList().get(ratios.size() / 2));
  }

  /** Steady rate of a run: (records - one batch) / (last - first token record's processing time). */
  private static double steadyRate(EmbeddedPipeline.Result r, int batch) {
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (TokenRecord t : r.tokens()) {
      first = Math.min(first, t.getProcessingTime().toEpochMilli());
      last = Math.max(last, t.getProcessingTime().toEpochMilli());
    }
    return (r.tokenRecordsOut() - batch) * 1000.0 / Math.max(1, last - first);
  }

  /** Raw tokenizer images/s on the same images: {inference only, PNG decode + preprocess + inference}. */
  private static double[] raw(Path model, String provider, List<ImageRecord> images, int batch, Map<String, Object> results)
      throws Exception {
    int n = images.size();
    try (OnnxTokenizer tok = OnnxTokenizer.open(model, new OnnxTokenizer.Options(ExecutionProvider.valueOf(provider.toUpperCase(Locale.ROOT)), 0, 1))) {
      if (results != null) {
        results.put("tokenizer", tok.info().name() + " " + tok.info().tokenizerId() + " K=" + tok.info().codebookSize()
            + " grid " + tok.info().gridHeight() + "x" + tok.info().gridWidth() + " on " + tok.info().provider());
      }
      Preprocessor pre = new Preprocessor(PreprocessingSpec.parse(tok.info().preprocessingDescriptor()));
      int per = tok.info().valuesPerImage();
      long d0 = System.nanoTime();
      float[] all = new float[n * per]; // (N, C, H, W)
      for (int i = 0; i < n; i++) {
        float[] x = pre.decodeAndApply(ImageRecords.bytes(images.get(i)), DecodeLimits.defaults());
        System.arraycopy(x, 0, all, i * per, per);
      }
      double decodeSeconds = (System.nanoTime() - d0) / 1e9;
      float[] x = new float[batch * per]; // (B, C, H, W)
      for (int w = 0; w < 5; w++) { // warm-up
        System.arraycopy(all, 0, x, 0, x.length);
        tok.encode(x, batch);
      }
      long t0 = System.nanoTime();
      int done = 0;
      for (int from = 0; from + batch <= n; from += batch) {
        System.arraycopy(all, from * per, x, 0, batch * per);
        tok.encode(x, batch);
        done += batch;
      }
      double inferSeconds = (System.nanoTime() - t0) / 1e9;
      if (results != null) {
        results.put("raw_decode_preprocess_images_per_s", round(n / decodeSeconds));
      }
      return new double[] {done / inferSeconds, n / (decodeSeconds + inferSeconds * n / done)};
    }
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** p50, p99 (ms) and sample count of receive time - send time at a fixed input rate. */
  private static double[] latency(
      String bootstrap, Path model, List<ImageRecord> images, int batch, String provider, DeliveryGuarantee g,
      long checkpointMs, double rate, int seconds) throws Exception {
    String run = g.spelling() + "-" + Long.toString(System.nanoTime(), 36);
    Map<String, String> s = new LinkedHashMap<>();
    s.put(JobConfig.BOOTSTRAP_SERVERS, bootstrap);
    s.put(JobConfig.MODEL, model.toString());
    s.put(JobConfig.INPUT_TOPIC, "lat-in-" + run);
    s.put(JobConfig.OUTPUT_TOPIC, "lat-out-" + run);
    s.put(JobConfig.DEAD_LETTER_TOPIC, "lat-dlq-" + run);
    s.put(JobConfig.GROUP_ID, "lat-" + run);
    s.put(JobConfig.TRANSACTIONAL_ID_PREFIX, "lat-" + run);
    s.put(JobConfig.BATCH_SIZE, String.valueOf(batch));
    s.put(JobConfig.BATCH_MAX_WAIT_MS, "20");
    s.put(JobConfig.DELIVERY_GUARANTEE, g.spelling());
    s.put(JobConfig.CHECKPOINT_INTERVAL_MS, String.valueOf(checkpointMs));
    s.put(JobConfig.EXECUTION_PROVIDER, provider);
    s.put(JobConfig.STARTING_OFFSETS, "earliest");
    JobConfig config = JobConfig.fromMap(s);
    KafkaBrokerProcess.createTopics(bootstrap, 1, config.inputTopic(), config.outputTopic(), config.deadLetterTopic());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, TokenizeJob.flinkConfiguration(config));
    TokenizeJob.build(env, config);
    JobClient job = env.executeAsync(TokenizeJob.jobName(config));

    List<Long> latencies = new ArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    long warmupEnd = System.currentTimeMillis() + 5000; // the job is still deploying; its first records are not steady state
    Thread consumer = new Thread(() -> {
      AvroCodec<TokenRecord> dec = AvroCodec.forClass(TokenRecord.class);
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(AvroTopicReader.consumerProperties(bootstrap, new Properties()))) {
        TopicPartition tp = new TopicPartition(config.outputTopic(), 0);
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        while (!stop.get()) {
          for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(20))) {
            long now = System.currentTimeMillis();
            long sent = dec.decode(rec.value()).getEventTime().toEpochMilli();
            if (sent >= warmupEnd) {
              synchronized (latencies) {
                latencies.add(now - sent);
              }
            }
          }
        }
      }
    }, "latency-consumer");
    consumer.start();
    long total = (long) (rate * (seconds + 5));
    try (ImageProducer p = new ImageProducer(bootstrap, config.inputTopic(), rate, null)) {
      for (long i = 0; i < total; i++) {
        ImageRecord r = images.get((int) (i % images.size()));
        ImageRecord copy = ImageRecord.newBuilder(r).setImageId("lat-" + i).setEventTime(Instant.now()).build();
        p.send(copy);
      }
    }
    Thread.sleep(3 * checkpointMs + 2000);
    stop.set(true);
    consumer.join(10_000);
    job.cancel().get(1, TimeUnit.MINUTES);
    long[] v;
    synchronized (latencies) {
      v = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    }
    if (v.length == 0) {
      return new double[] {Double.NaN, Double.NaN, 0};
    }
    return new double[] {v[(int) (0.50 * (v.length - 1))], v[(int) (0.99 * (v.length - 1))], v.length};
  }

  private static void write(Path dir, Map<String, Object> results) throws IOException {
    Files.createDirectories(dir);
    StringBuilder json = new StringBuilder("{\n");
    int i = 0;
    for (Map.Entry<String, Object> e : results.entrySet()) {
      Object v = e.getValue();
      String value = v instanceof Number ? v.toString() : "\"" + v.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
      json.append("  \"").append(e.getKey()).append("\": ").append(value).append(++i < results.size() ? ",\n" : "\n");
    }
    json.append("}\n");
    Files.writeString(dir.resolve("stream.json"), json.toString(), StandardCharsets.UTF_8);
    StringBuilder md = new StringBuilder("# Stream job benchmark\n\n| figure | value |\n|---|---|\n");
    results.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    Files.writeString(dir.resolve("stream-latest.md"), md.toString(), StandardCharsets.UTF_8);
    System.out.println("Wrote " + dir.resolve("stream.json") + " and " + dir.resolve("stream-latest.md"));
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static double round2(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
