package dev.ibq.local.embedded;

import dev.ibq.image.source.ImageRecords;
import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.ErrorCode;
import dev.ibq.schemas.ImageRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.schemas.TokenRecords;
import dev.ibq.stream.config.DeliveryGuarantee;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.job.TokenizeJob;
import dev.ibq.stream.job.TokenizeTopology;
import dev.ibq.local.kafka.AvroTopicReader;
import dev.ibq.local.kafka.ImageProducer;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import dev.ibq.model.CodeUsage;
import dev.ibq.model.TokenizerIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole pipeline on this machine: a real Kafka broker (a child JVM, KRaft), the tokenization job on
 * a Flink mini cluster, and read_committed consumers of its output. Used by {@code ./ibq demo}, the
 * integration tests and the benchmark.
 *
 * <pre>{@code
 * try (EmbeddedPipeline pipeline = EmbeddedPipeline.start()) {
 *   List<ImageRecord> images = ImageRecords.fashionMnist(FashionMnist.load(Split.TEST), 0, 10_000);
 *   EmbeddedPipeline.Result r = pipeline.run(EmbeddedPipeline.Request.of(encoderOnnx, images));
 *   r.tokens();            // TokenRecords as committed in the output topic
 *   r.imagesPerSecond();   // valid images / job run time
 * }
 * }</pre>
 *
 * <p>Each {@link #run} uses fresh topics (suffixed with a run id), produces the records, runs the job as
 * a bounded job (it stops at the offsets that were the latest when it started) and reads both output
 * topics back completely.
 */
public final class EmbeddedPipeline implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPipeline.class);
  private static final AtomicInteger RUNS = new AtomicInteger();

  private final KafkaBrokerProcess broker; // null when connected to an outside cluster
  private final String bootstrapServers;

  private EmbeddedPipeline(KafkaBrokerProcess broker, String bootstrapServers) {
    this.broker = broker;
    this.bootstrapServers = bootstrapServers;
  }

  /** Starts a Kafka broker process (3-8 s); {@link #close()} stops it and deletes its data. */
  public static EmbeddedPipeline start() {
    KafkaBrokerProcess broker = KafkaBrokerProcess.start();
    return new EmbeddedPipeline(broker, broker.bootstrapServers());
  }

  /** Uses an existing Kafka cluster (not stopped by {@link #close()}). */
  public static EmbeddedPipeline connect(String bootstrapServers) {
    return new EmbeddedPipeline(null, bootstrapServers);
  }

  /** {@code host:port} of the broker. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The broker process, when this pipeline started one. */
  public KafkaBrokerProcess broker() {
    return broker;
  }

  /**
   * What to run.
   *
   * @param model the exported {@code encoder.onnx} (or its directory)
   * @param images records produced to the input topic, in order
   * @param rawValues further raw values produced after the images (hostile-input tests; null produces a
   *     tombstone); usually empty
   * @param batchSize images per inference batch
   * @param maxWaitMs longest wait for a batch to fill
   * @param parallelism job parallelism (and partitions of the topics)
   * @param deliveryGuarantee exactly-once or at-least-once
   * @param checkpointIntervalMs checkpoint period (exactly-once output becomes visible at checkpoints)
   * @param executionProvider auto, cpu or cuda
   * @param settings any further {@link JobConfig} settings (override the above)
   * @param flinkSettings Flink configuration for the mini cluster (e.g. {@code rest.port}, metric reporters)
   */
  public record Request(
      Path model,
      List<ImageRecord> images,
      List<byte[]> rawValues,
      int batchSize,
      long maxWaitMs,
      int parallelism,
      DeliveryGuarantee deliveryGuarantee,
      long checkpointIntervalMs,
      String executionProvider,
      Map<String, String> settings,
      Map<String, String> flinkSettings) {

    public Request {
      images = List.copyOf(images);
      rawValues = Collections.unmodifiableList(new ArrayList<>(rawValues)); // a null value is a tombstone
      settings = Map.copyOf(settings);
      flinkSettings = Map.copyOf(flinkSettings);
    }

    /** Defaults: batch 32, 50 ms, parallelism 1, exactly-once, checkpoints every 1 s, provider auto. */
    public static Request of(Path model, List<ImageRecord> images) {
      return new Request(model, images, List.of(), 32, 50, 1, DeliveryGuarantee.EXACTLY_ONCE, 1000, "auto", Map.of(), Map.of());
    }

    public Request withBatch(int batchSize, long maxWaitMs) {
      return new Request(model, images, rawValues, batchSize, maxWaitMs, parallelism, deliveryGuarantee, checkpointIntervalMs, executionProvider, settings, flinkSettings);
    }

    public Request withParallelism(int parallelism) {
      return new Request(model, images, rawValues, batchSize, maxWaitMs, parallelism, deliveryGuarantee, checkpointIntervalMs, executionProvider, settings, flinkSettings);
    }

    public Request withDelivery(DeliveryGuarantee guarantee, long checkpointIntervalMs) {
      return new Request(model, images, rawValues, batchSize, maxWaitMs, parallelism, guarantee, checkpointIntervalMs, executionProvider, settings, flinkSettings);
    }

    public Request withExecutionProvider(String provider) {
      return new Request(model, images, rawValues, batchSize, maxWaitMs, parallelism, deliveryGuarantee, checkpointIntervalMs, provider, settings, flinkSettings);
    }

    public Request withRawValues(List<byte[]> values) {
      return new Request(model, images, values, batchSize, maxWaitMs, parallelism, deliveryGuarantee, checkpointIntervalMs, executionProvider, settings, flinkSettings);
    }

    public Request withSettings(Map<String, String> more) {
      Map<String, String> m = new LinkedHashMap<>(settings);
      m.putAll(more);
      return new Request(model, images, rawValues, batchSize, maxWaitMs, parallelism, deliveryGuarantee, checkpointIntervalMs, executionProvider, m, flinkSettings);
    }

    public Request withFlinkSettings(Map<String, String> more) {
      Map<String, String> m = new LinkedHashMap<>(flinkSettings);
      m.putAll(more);
      return new Request(model, images, rawValues, batchSize, maxWaitMs, parallelism, deliveryGuarantee, checkpointIntervalMs, executionProvider, settings, m);
    }
  }

  /**
   * What a run did.
   *
   * @param jobId the Flink job id (hex), e.g. to look up its metrics
   * @param inputTopic topic the records were produced to
   * @param outputTopic topic of the token records
   * @param deadLetterTopic topic of the dead letters
   * @param tokenizer identity of the model (id, name, K, grid, preprocessing)
   * @param recordsIn records produced (images plus raw values)
   * @param tokenRecordsOut committed token records read back
   * @param deadLettered committed dead letters read back
   * @param deadLettersByCode dead letters per error code
   * @param duplicateImageIds image ids seen more than once among the token records (0 when exactly-once)
   * @param produceMillis time to produce the input
   * @param jobMillis the job's own run time (Flink's net runtime, mini-cluster start excluded)
   * @param wallMillis everything: topics, produce, job (incl. mini-cluster start), read back
   * @param imagesPerSecond token records out / job run time
   * @param usedCodes distinct codes among all output tokens
   * @param codebookUtilization usedCodes / K
   * @param perplexity exp(entropy) of the output tokens' code distribution
   * @param tokens the committed token records, in topic order
   * @param deadLetters the committed dead letters, in topic order
   */
  public record Result(
      String jobId,
      String inputTopic,
      String outputTopic,
      String deadLetterTopic,
      TokenizerIdentity tokenizer,
      int recordsIn,
      int tokenRecordsOut,
      int deadLettered,
      Map<ErrorCode, Integer> deadLettersByCode,
      int duplicateImageIds,
      long produceMillis,
      long jobMillis,
      long wallMillis,
      double imagesPerSecond,
      int usedCodes,
      double codebookUtilization,
      double perplexity,
      List<TokenRecord> tokens,
      List<DeadLetterRecord> deadLetters) {

    /** A few lines for people. */
    public String summary() {
      return String.format(
          java.util.Locale.ROOT,
          "records in %d, token records out %d, dead-lettered %d %s%n"
              + "job %.1f s (%.0f images/s), wall %.1f s; codebook utilization %.1f%% (%d of %d codes), perplexity %.1f%n"
              + "tokenizer %s '%s' (grid %dx%d, K=%d) on %s",
          recordsIn, tokenRecordsOut, deadLettered, deadLettersByCode, jobMillis / 1000.0, imagesPerSecond,
          wallMillis / 1000.0, 100 * codebookUtilization, usedCodes, tokenizer.codebookSize(), perplexity,
          tokenizer.tokenizerId(), tokenizer.name(), tokenizer.gridHeight(), tokenizer.gridWidth(),
          tokenizer.codebookSize(), tokenizer.provider());
    }
  }

  /** Produces the request's records to fresh topics, runs the job to the end, and reads the output back. */
  public Result run(Request request) throws Exception {
    long t0 = System.nanoTime();
    String runId = ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet() + "-" + Long.toString(System.currentTimeMillis(), 36);
    String in = "ibq.images." + runId;
    String out = "ibq.tokens." + runId;
    String dlq = "ibq.dead-letters." + runId;
    KafkaBrokerProcess.createTopics(bootstrapServers, request.parallelism(), in, out, dlq);

    long p0 = System.nanoTime();
    try (ImageProducer producer = new ImageProducer(bootstrapServers, in, 0, null)) {
      for (ImageRecord r : request.images()) {
        producer.send(r);
      }
      int i = 0;
      for (byte[] raw : request.rawValues()) {
        producer.sendRaw("raw-" + i++, raw);
      }
    }
    long produceMillis = (System.nanoTime() - p0) / 1_000_000;
    int recordsIn = request.images().size() + request.rawValues().size();
    LOG.info("Produced {} records to {} in {} ms.", recordsIn, in, produceMillis);

    Map<String, String> s = new LinkedHashMap<>();
    s.put(JobConfig.BOOTSTRAP_SERVERS, bootstrapServers);
    s.put(JobConfig.MODEL, request.model().toString());
    s.put(JobConfig.INPUT_TOPIC, in);
    s.put(JobConfig.OUTPUT_TOPIC, out);
    s.put(JobConfig.DEAD_LETTER_TOPIC, dlq);
    s.put(JobConfig.GROUP_ID, "ibq-embedded-" + runId);
    s.put(JobConfig.TRANSACTIONAL_ID_PREFIX, "ibq-embedded-" + runId);
    s.put(JobConfig.BATCH_SIZE, String.valueOf(request.batchSize()));
    s.put(JobConfig.BATCH_MAX_WAIT_MS, String.valueOf(request.maxWaitMs()));
    s.put(JobConfig.PARALLELISM, String.valueOf(request.parallelism()));
    s.put(JobConfig.DELIVERY_GUARANTEE, request.deliveryGuarantee().spelling());
    s.put(JobConfig.CHECKPOINT_INTERVAL_MS, String.valueOf(request.checkpointIntervalMs()));
    s.put(JobConfig.EXECUTION_PROVIDER, request.executionProvider());
    s.put(JobConfig.STARTING_OFFSETS, "earliest");
    s.put(JobConfig.BOUNDED, "true");
    JobConfig config = JobConfig.fromMap(s, request.settings());

    Configuration flink = TokenizeJob.flinkConfiguration(config);
    flink.addAll(Configuration.fromMap(request.flinkSettings()));
    LOG.debug("Mini cluster configuration: {}", flink);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(config.parallelism(), flink);
    TokenizeTopology.Streams streams = TokenizeJob.build(env, config);
    JobExecutionResult job = env.execute(TokenizeJob.jobName(config));
    long jobMillis = Math.max(1, job.getNetRuntime());

    List<TokenRecord> tokens = values(AvroTopicReader.readAll(bootstrapServers, out, TokenRecord.class, null, Duration.ofMinutes(2)), out);
    List<DeadLetterRecord> deadLetters =
        values(AvroTopicReader.readAll(bootstrapServers, dlq, DeadLetterRecord.class, null, Duration.ofMinutes(2)), dlq);

    TokenizerIdentity tokenizer = streams.tokenizer();
    CodeUsage usage = CodeUsage.unbounded(tokenizer.codebookSize());
    Set<String> ids = new HashSet<>();
    int duplicates = 0;
    for (TokenRecord t : tokens) {
      usage.add(TokenRecords.tokens(t));
      if (!ids.add(t.getImageId())) {
        duplicates++;
      }
    }
    Map<ErrorCode, Integer> byCode = new EnumMap<>(ErrorCode.class);
    for (DeadLetterRecord d : deadLetters) {
      byCode.merge(d.getErrorCode(), 1, Integer::sum);
    }
    Result r =
        new Result(
            job.getJobID().toHexString(), in, out, dlq, tokenizer, recordsIn, tokens.size(), deadLetters.size(), Collections.unmodifiableMap(byCode),
            duplicates, produceMillis, jobMillis, (System.nanoTime() - t0) / 1_000_000,
            tokens.size() * 1000.0 / jobMillis, usage.usedCodes(), usage.utilization(), usage.perplexity(),
            Collections.unmodifiableList(tokens), Collections.unmodifiableList(deadLetters));
    LOG.info("Run {}:\n{}", runId, r.summary());
    return r;
  }

  private static <T> List<T> values(List<AvroTopicReader.Entry<T>> entries, String topic) {
    List<T> out = new ArrayList<>(entries.size());
    for (AvroTopicReader.Entry<T> e : entries) {
      if (e.value() == null) {
        throw new IllegalStateException(
            "Topic " + topic + " holds an undecodable record at partition " + e.partition() + " offset " + e.offset() + ": " + e.error());
      }
      out.add(e.value());
    }
    return out;
  }

  @Override
  public void close() {
    if (broker != null) {
      broker.close();
    }
  }
}
