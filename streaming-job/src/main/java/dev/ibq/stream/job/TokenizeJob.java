package dev.ibq.stream.job;

import dev.ibq.schemas.DeadLetterRecord;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.stream.config.DeliveryGuarantee;
import dev.ibq.stream.config.InvalidConfigException;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.config.SettingsTable;
import dev.ibq.stream.kafka.AvroRecordSerializer;
import dev.ibq.stream.kafka.KafkaInput;
import dev.ibq.stream.kafka.KafkaInputDeserializer;
import dev.ibq.stream.kafka.SchemaRegistryCheck;
import dev.ibq.stream.kafka.TopicValueFormat;
import dev.ibq.stream.tokenize.BatchTokenizerFactory;
import dev.ibq.stream.tokenize.ModelFile;
import dev.ibq.stream.tokenize.OnnxTokenizerFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming tokenization job: Kafka in, micro-batched ONNX encode, Avro out, dead letters.
 *
 * <p>{@link #main} only wires Kafka, Avro and the configuration around {@link TokenizeTopology#build}.
 * It runs wherever {@link StreamExecutionEnvironment#getExecutionEnvironment} points: a local mini
 * cluster from the {@code ./ibq stream} command, or a real cluster when submitted with {@code flink run}
 * or over REST. Settings ({@link dev.ibq.stream.config.JobOptions}) come from Flink's configuration, then
 * {@code --config FILE} (a properties file), then {@code --KEY VALUE} pairs (and {@code --kafka.X VALUE});
 * later ones win. {@code --list-settings} prints them all. The job sets no parallelism, checkpointing or
 * restart strategy of its own unless a job-level setting asks ({@link #flinkConfiguration}).
 */
public final class TokenizeJob {
  private static final Logger LOG = LoggerFactory.getLogger(TokenizeJob.class);

  /** The max parallelism (key groups) unless Flink's {@code pipeline.max-parallelism} sets one. */
  public static final int DEFAULT_MAX_PARALLELISM = 128;

  private TokenizeJob() {}

  public static void main(String[] args) throws Exception {
    if (java.util.Arrays.asList(args).contains("--list-settings")) {
      System.out.print(SettingsTable.text());
      return;
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobConfig config = parseArgs(env.getConfiguration(), args);
    env.configure(flinkConfiguration(config));
    JobExecutionResult result = execute(env, config);
    if (result.isJobExecutionResult()) {
      LOG.info("Job finished after {} ms.", result.getNetRuntime());
    } else {
      // submitted to a cluster in detached mode (REST /jars/{id}/run, flink run -d): no result to wait for
      LOG.info("Job {} submitted (detached).", result.getJobID());
    }
  }

  /** Builds the job on {@code env} (configured with {@link #flinkConfiguration}) and runs it to the end. */
  public static JobExecutionResult execute(StreamExecutionEnvironment env, JobConfig config) throws Exception {
    build(env, config);
    return env.execute(jobName(config));
  }

  /** The job's name as shown by Flink. */
  public static String jobName(JobConfig config) {
    return "ibq-tokenize " + config.inputTopic() + " -> " + config.outputTopic();
  }

  /** Adds the whole job (Kafka source and sinks around the topology) to {@code env}. */
  public static TokenizeTopology.Streams build(StreamExecutionEnvironment env, JobConfig config) throws Exception {
    checkCheckpointing(env, config);
    if (env.getMaxParallelism() <= 0) {
      // NOTE: Flink would derive the max parallelism from the first parallelism (128 for anything up to 85)
      // and it is frozen into the first savepoint; set it explicitly so that rescaling up to it is always
      // possible. A cluster or submitter value (pipeline.max-parallelism) wins.
      env.setMaxParallelism(DEFAULT_MAX_PARALLELISM);
    }
    if (config.usesSchemaRegistry()) {
      SchemaRegistryCheck.check(config); // on the client, before anything is submitted
    }
    ModelFile model = readModel(config.model());
    if (config.modelShip()) {
      // Flink uploads the file to the blob server on submission; each TaskManager gets its own copy.
      env.registerCachedFile(model.uri(), ModelFile.SHIPPED_NAME);
      model = model.shipped();
    }
    BatchTokenizerFactory tokenizers = new OnnxTokenizerFactory(model, config.executionProvider(), config.onnxThreads());
    TokenizeTopology.Streams streams =
        TokenizeTopology.build(
            env,
            kafkaSource(config),
            tokenSink(config),
            deadLetterSink(config, tokenizers.describe().tokenizerId()),
            TopologySettings.of(config),
            tokenizers,
            TopicValueFormat.input(config));
    LOG.info(
        "Job: {} -> {} (dead letters: {}), tokenizer {} '{}' (K={}, grid {}x{}, preprocessing {}), batch {} / {} ms,"
            + " parallelism {} (job default), {}",
        config.inputTopic(),
        config.outputTopic(),
        config.deadLetterTopic(),
        streams.tokenizer().tokenizerId(),
        streams.tokenizer().name(),
        streams.tokenizer().codebookSize(),
        streams.tokenizer().gridHeight(),
        streams.tokenizer().gridWidth(),
        streams.tokenizer().preprocessing(),
        config.batchSize(),
        config.maxWaitMs(),
        env.getParallelism(),
        config.deliveryGuarantee().spelling());
    return streams;
  }

  /** Reads the model's digest and metadata through Flink's file system for its URI (no ONNX Runtime). */
  static ModelFile readModel(String location) {
    try {
      return ModelFile.read(location);
    } catch (java.io.IOException | RuntimeException e) {
      throw new InvalidConfigException(
          JobConfig.MODEL,
          "is '" + location + "', which could not be read as an exported encoder.onnx (" + e + "); expected a path"
              + " or a URI of a Flink file system (file://, s3://, hdfs://, ...) that the client and every TaskManager"
              + " can read");
    }
  }

  /**
   * The Flink settings this job's own config sets: only what the user set at job level (checkpoint
   * interval, checkpoint directory, the state to restore, parallelism). Everything else, the restart
   * strategy above all, stays as the cluster or the submitter configured it ({@code config.yaml},
   * {@code flink run -p/-D}, the Kubernetes operator's {@code flinkConfiguration} and {@code job.parallelism}).
   */
  public static Configuration flinkConfiguration(JobConfig config) {
    Configuration c = new Configuration();
    if (config.parallelism() != null) {
      c.set(CoreOptions.DEFAULT_PARALLELISM, config.parallelism());
    }
    if (config.checkpointIntervalMs() != null && config.checkpointIntervalMs() > 0) {
      c.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(config.checkpointIntervalMs()));
    }
    if (config.checkpointDir() != null) {
      // A job-level checkpoint directory exists to resume from later: keep its checkpoints on cancel.
      c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, toUri(config.checkpointDir()));
      c.set(CheckpointingOptions.SAVEPOINT_DIRECTORY, toUri(config.checkpointDir()) + "/savepoints");
      c.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    }
    if (config.restoreFrom() != null) {
      c.set(StateRecoveryOptions.SAVEPOINT_PATH, toUri(config.restoreFrom()));
    }
    return c;
  }

  /**
   * Checks what only the effective Flink configuration tells: exactly-once commits Kafka transactions on
   * checkpoints, so checkpointing must be on, and a transaction must outlive a checkpoint interval.
   */
  static void checkCheckpointing(StreamExecutionEnvironment env, JobConfig config) {
    if (config.deliveryGuarantee() != DeliveryGuarantee.EXACTLY_ONCE) {
      return;
    }
    long interval = env.getCheckpointInterval();
    if (!env.getCheckpointConfig().isCheckpointingEnabled() || interval <= 0) {
      throw new InvalidConfigException(
          JobConfig.DELIVERY_GUARANTEE,
          "is exactly-once, which commits Kafka transactions on checkpoints, but checkpointing is off; set Flink's "
              + CheckpointingOptions.CHECKPOINTING_INTERVAL.key()
              + " (config.yaml, flink run -D, the FlinkDeployment's flinkConfiguration) or the job's "
              + JobConfig.CHECKPOINT_INTERVAL_MS
              + ", or choose at-least-once");
    }
    if (config.transactionTimeoutMs() <= interval) {
      throw new InvalidConfigException(
          JobConfig.TRANSACTION_TIMEOUT_MS,
          "is " + config.transactionTimeoutMs() + " ms, not longer than the checkpoint interval (" + interval
              + " ms); a transaction stays open for a whole checkpoint interval, so the timeout must be larger");
    }
  }

  private static String toUri(String pathOrUri) {
    return pathOrUri.contains("://") || pathOrUri.startsWith("file:")
        ? pathOrUri
        : Path.of(pathOrUri).toAbsolutePath().toUri().toString();
  }

  /** The input: raw records of the input topic (read_committed, so aborted upstream writes are skipped). */
  @SuppressWarnings("deprecation") // OffsetResetStrategy is what OffsetsInitializer.committedOffsets takes
  public static KafkaSource<KafkaInput> kafkaSource(JobConfig config) {
    OffsetsInitializer start;
    switch (config.startingOffsets()) {
      case EARLIEST:
        start = OffsetsInitializer.earliest();
        break;
      case LATEST:
        start = OffsetsInitializer.latest();
        break;
      default:
        start = OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
    }
    Properties props = config.kafkaClientProperties();
    props.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.putIfAbsent("commit.offsets.on.checkpoint", "true");
    KafkaSourceBuilder<KafkaInput> b =
        KafkaSource.<KafkaInput>builder()
            .setBootstrapServers(config.bootstrapServers())
            .setTopics(config.inputTopic())
            .setGroupId(config.groupId())
            .setStartingOffsets(start)
            .setDeserializer(new KafkaInputDeserializer())
            .setProperties(props);
    if (config.bounded()) {
      b.setBounded(OffsetsInitializer.latest());
    }
    return b.build();
  }

  /**
   * The token sink: TokenRecords keyed by image id, with the input record's headers, the tokenizer id and the
   * content type as headers.
   */
  public static KafkaSink<TokenRecord> tokenSink(JobConfig config) {
    return sink(
        config,
        config.outputTopic(),
        new AvroRecordSerializer<>(
            config.outputTopic(), TokenRecord.class, TokenRecord::getImageId,
            r -> AvroRecordSerializer.headers(r.getKafkaHeaders(), Map.of(AvroRecordSerializer.TOKENIZER_ID, r.getTokenizerId())),
            TopicValueFormat.output(config)),
        "-tokens");
  }

  /** The dead-letter sink: DeadLetterRecords keyed by image id (when known), with the job's tokenizer id header. */
  public static KafkaSink<DeadLetterRecord> deadLetterSink(JobConfig config, String tokenizerId) {
    return sink(
        config,
        config.deadLetterTopic(),
        new AvroRecordSerializer<>(
            config.deadLetterTopic(), DeadLetterRecord.class, DeadLetterRecord::getImageId,
            r -> AvroRecordSerializer.headers(r.getKafkaHeaders(), Map.of(AvroRecordSerializer.TOKENIZER_ID, tokenizerId)),
            TopicValueFormat.deadLetter(config)),
        "-dead-letters");
  }

  /** The dead-letter sink without a tokenizer id header. */
  public static KafkaSink<DeadLetterRecord> deadLetterSink(JobConfig config) {
    return sink(
        config,
        config.deadLetterTopic(),
        new AvroRecordSerializer<>(
            config.deadLetterTopic(), DeadLetterRecord.class, DeadLetterRecord::getImageId,
            r -> AvroRecordSerializer.headers(r.getKafkaHeaders(), Map.of()),
            TopicValueFormat.deadLetter(config)),
        "-dead-letters");
  }

  /** Output compression unless {@code kafka.compression.type} says otherwise. */
  public static final String DEFAULT_COMPRESSION = "zstd";

  /** The producer properties of both sinks: pass-through ones, then the job's own and its defaults. */
  public static Properties producerProperties(JobConfig config) {
    Properties props = config.kafkaClientProperties();
    props.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, String.valueOf(config.transactionTimeoutMs()));
    props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
    // The dead-letter payload limit is derived from this value (DeadLetters), so both read the same number.
    props.setProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(config.producerMaxRequestBytes()));
    props.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, DEFAULT_COMPRESSION);
    return props;
  }

  private static <T> KafkaSink<T> sink(
      JobConfig config,
      String topic,
      org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema<T> serializer,
      String idSuffix) {
    Properties props = producerProperties(config);
    var b =
        KafkaSink.<T>builder()
            .setBootstrapServers(config.bootstrapServers())
            .setRecordSerializer(serializer)
            .setDeliveryGuarantee(config.deliveryGuarantee().toFlink())
            .setKafkaProducerConfig(props);
    if (config.deliveryGuarantee() == DeliveryGuarantee.EXACTLY_ONCE) {
      b.setTransactionalIdPrefix(config.transactionalIdPrefix() + idSuffix);
    }
    return b.build();
  }

  /** {@link #parseArgs(ReadableConfig, String...)} without a Flink configuration layer. */
  public static JobConfig parseArgs(String... args) {
    return parseArgs(new Configuration(), args);
  }

  /**
   * Reads the job's settings: those in Flink's configuration ({@code config.yaml}, {@code flink run -D}, a
   * FlinkDeployment's {@code flinkConfiguration}), then {@code --config FILE} (a properties file), then
   * {@code --KEY VALUE} (or {@code KEY=VALUE}) arguments; later ones win.
   */
  public static JobConfig parseArgs(ReadableConfig flinkConfig, String... args) {
    Map<String, String> file = new LinkedHashMap<>();
    Map<String, String> flags = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--config")) {
        if (i + 1 >= args.length) {
          throw new InvalidConfigException("--config", "has no value; expected a properties file");
        }
        file.putAll(JobConfig.readPropertiesFile(Path.of(args[++i])));
      } else if (a.startsWith("--") && a.contains("=")) {
        flags.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
      } else if (a.startsWith("--")) {
        if (i + 1 >= args.length) {
          throw new InvalidConfigException(a.substring(2), "has no value");
        }
        flags.put(a.substring(2), args[++i]);
      } else if (a.contains("=")) {
        flags.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
      } else {
        throw new InvalidConfigException(a, "is not an option; expected --config FILE or --KEY VALUE");
      }
    }
    return JobConfig.fromMap(JobConfig.jobSettingsIn(flinkConfig), file, flags);
  }
}
