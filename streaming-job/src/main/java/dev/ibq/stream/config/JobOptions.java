package dev.ibq.stream.config;

import static org.apache.flink.configuration.ConfigOptions.key;

import java.util.List;
import org.apache.flink.configuration.ConfigOption;

/**
 * Every setting of the tokenization job as a Flink {@link ConfigOption}: one declaration each, with its type,
 * default and description. {@link JobConfig} reads them from Flink's configuration (the cluster's
 * {@code config.yaml}, {@code flink run -D}, a FlinkDeployment's {@code flinkConfiguration}), then a
 * properties file, then the job's arguments; {@code --list-settings} and the settings table of
 * streaming-job/README.md are generated from {@link #ALL} ({@link SettingsTable}).
 *
 * <p>Parallelism, checkpointing and restarts are Flink's own settings ({@code -p}, {@code parallelism.default},
 * {@code execution.checkpointing.*}, {@code restart-strategy.*}); {@link #PARALLELISM} and
 * {@link #CHECKPOINT_INTERVAL_MS} exist only to override them for one job, and have no default.
 */
public final class JobOptions {
  private JobOptions() {}

  public static final ConfigOption<String> BOOTSTRAP_SERVERS =
      key("bootstrap.servers").stringType().noDefaultValue()
          .withDescription("Kafka bootstrap servers, host:port[,host:port] (required).");

  public static final ConfigOption<String> MODEL =
      key("model").stringType().noDefaultValue()
          .withDescription("The exported encoder.onnx or its export directory: a path, or a URI of any Flink file"
              + " system (file://, s3://, hdfs://, ...); read on the client without ONNX Runtime, fetched once per"
              + " TaskManager and checked against its SHA-256 (required).");

  public static final ConfigOption<Boolean> MODEL_SHIP =
      key("model.ship").booleanType().defaultValue(false)
          .withDescription("Ship the model with the job (Flink's distributed cache, through the blob server): the"
              + " client reads it, the TaskManagers need no access to its file system.");

  public static final ConfigOption<String> INPUT_TOPIC =
      key("input.topic").stringType().defaultValue("ibq.images").withDescription("Topic of ImageRecords.");

  public static final ConfigOption<String> OUTPUT_TOPIC =
      key("output.topic").stringType().defaultValue("ibq.tokens").withDescription("Topic of TokenRecords, keyed by image id.");

  public static final ConfigOption<String> DEAD_LETTER_TOPIC =
      key("dead-letter.topic").stringType().defaultValue("ibq.dead-letters").withDescription("Topic of DeadLetterRecords.");

  public static final ConfigOption<String> GROUP_ID =
      key("group.id").stringType().defaultValue("ibq-stream")
          .withDescription("Consumer group of the input (offsets are committed on checkpoints, for monitoring).");

  public static final ConfigOption<Integer> BATCH_SIZE =
      key("batch.size").intType().defaultValue(32).withDescription("Images per inference batch (upper bound).");

  public static final ConfigOption<Long> BATCH_MAX_WAIT_MS =
      key("batch.max-wait-ms").longType().defaultValue(50L)
          .withDescription("Longest wait in ms for a batch to fill before a partial batch is encoded.");

  public static final ConfigOption<Integer> PARALLELISM =
      key("parallelism").intType().noDefaultValue()
          .withDescription("Job-level parallelism; unset: Flink's (flink run -p, parallelism.default, job.parallelism).");

  public static final ConfigOption<String> DELIVERY_GUARANTEE =
      key("delivery.guarantee").stringType().defaultValue("exactly-once")
          .withDescription("exactly-once (Kafka transactions, needs checkpointing) or at-least-once.");

  public static final ConfigOption<Long> CHECKPOINT_INTERVAL_MS =
      key("checkpoint.interval-ms").longType().noDefaultValue()
          .withDescription("Job-level checkpoint period in ms, 0: off (at-least-once only); unset: Flink's"
              + " execution.checkpointing.interval.");

  public static final ConfigOption<String> CHECKPOINT_DIR =
      key("checkpoint.dir").stringType().noDefaultValue()
          .withDescription("Job-level checkpoint directory (path or URI), retained on cancel to resume later;"
              + " unset: Flink's execution.checkpointing.dir.");

  public static final ConfigOption<String> RESTORE_FROM =
      key("restore.from").stringType().noDefaultValue()
          .withDescription("Checkpoint or savepoint to resume from (as flink run -s).");

  public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
      key("transactional-id.prefix").stringType().defaultValue("ibq-stream")
          .withDescription("Kafka transactional id prefix (unique per job on a Kafka cluster).");

  public static final ConfigOption<Long> TRANSACTION_TIMEOUT_MS =
      key("transaction.timeout-ms").longType().defaultValue(60_000L)
          .withDescription("The producers' transaction.timeout.ms: longer than a checkpoint interval, at most the"
              + " broker's transaction.max.timeout.ms (15 min by default).");

  public static final ConfigOption<Integer> MAX_MESSAGE_BYTES =
      key("limits.max-message-bytes").intType().defaultValue(16 * 1024 * 1024)
          .withDescription("Record values larger than this are dead letters TOO_LARGE.");

  public static final ConfigOption<Long> MAX_PIXELS =
      key("limits.max-pixels").longType().defaultValue(50_000_000L)
          .withDescription("Images with more pixels (read from the header, before decoding) are dead letters TOO_LARGE.");

  public static final ConfigOption<Integer> MIN_SIDE =
      key("limits.min-side").intType().defaultValue(8)
          .withDescription("Images with a side shorter than this many pixels are dead letters TOO_SMALL.");

  public static final ConfigOption<String> FORMATS =
      key("limits.formats").stringType().defaultValue("")
          .withDescription("Accepted image formats, comma-separated (png,jpeg,...); empty: all the decoder supports.");

  public static final ConfigOption<String> EXECUTION_PROVIDER =
      key("onnx.execution-provider").stringType().defaultValue("auto")
          .withDescription("ONNX Runtime provider: auto (CUDA when it works, else CPU), cpu or cuda.");

  public static final ConfigOption<Integer> ONNX_THREADS =
      key("onnx.threads").intType().defaultValue(0)
          .withDescription("ONNX Runtime intra-op threads per task; 0: the runtime's default.");

  public static final ConfigOption<String> STARTING_OFFSETS =
      key("starting.offsets").stringType().defaultValue("committed")
          .withDescription("Where a run without restored state starts: committed (else earliest), earliest or latest.");

  public static final ConfigOption<Boolean> BOUNDED =
      key("bounded").booleanType().defaultValue(false)
          .withDescription("Stop at the input offsets that were the latest at the start (a finite run).");

  public static final ConfigOption<Integer> METRICS_WINDOW_TOKENS =
      key("metrics.window-tokens").intType().defaultValue(65_536)
          .withDescription("Recent tokens covered by the codebook utilization and perplexity gauges.");

  public static final ConfigOption<Long> MAX_DECODED_BYTES =
      key("limits.max-decoded-bytes").longType().defaultValue(dev.ibq.image.DecodeLimits.defaults().maxDecodedBytes())
          .withDescription("Images needing more decode memory (pixels x channels x bit depth, read from the header before"
              + " any pixel is decompressed) are dead letters TOO_LARGE.");

  public static final ConfigOption<Long> DECODE_TIMEOUT_MS =
      key("limits.decode-timeout-ms").longType().defaultValue(dev.ibq.image.DecodeLimits.defaults().decodeTimeoutMillis())
          .withDescription("Images whose decode takes longer than this many milliseconds are dead letters DECODE_TIMEOUT.");

  public static final ConfigOption<String> INPUT_VALUE_FORMAT =
      key("input.value-format").stringType().defaultValue("single-object")
          .withDescription("Framing of the input's ImageRecords: single-object (Avro single-object encoding) or confluent"
              + " (Confluent wire format with schema-registry.url; any registered version the job can read).");

  public static final ConfigOption<String> OUTPUT_VALUE_FORMAT =
      key("output.value-format").stringType().defaultValue("single-object")
          .withDescription("Framing of the TokenRecords written: single-object or confluent (schema id of subject"
              + " <output.topic>-value).");

  public static final ConfigOption<String> DEAD_LETTER_VALUE_FORMAT =
      key("dead-letter.value-format").stringType().defaultValue("single-object")
          .withDescription("Framing of the DeadLetterRecords written: single-object or confluent (schema id of subject"
              + " <dead-letter.topic>-value).");

  public static final ConfigOption<String> SCHEMA_REGISTRY_URL =
      key("schema-registry.url").stringType().noDefaultValue()
          .withDescription("Schema Registry with the Confluent REST API (Confluent, or e.g. Apicurio's"
              + " .../apis/ccompat/v7); required when a value format is confluent. Checked before the job starts.");

  public static final ConfigOption<Boolean> SCHEMA_REGISTRY_AUTO_REGISTER =
      key("schema-registry.auto-register").booleanType().defaultValue(false)
          .withDescription("Register the job's output schemas under their subjects when missing; off: they must be"
              + " registered beforehand.");

  /** Every option, in display order (required first). */
  public static final List<ConfigOption<?>> ALL =
      List.of(
          BOOTSTRAP_SERVERS, MODEL, MODEL_SHIP, INPUT_TOPIC, OUTPUT_TOPIC, DEAD_LETTER_TOPIC, GROUP_ID, BATCH_SIZE,
          BATCH_MAX_WAIT_MS, PARALLELISM, DELIVERY_GUARANTEE, CHECKPOINT_INTERVAL_MS, CHECKPOINT_DIR, RESTORE_FROM,
          TRANSACTIONAL_ID_PREFIX, TRANSACTION_TIMEOUT_MS, MAX_MESSAGE_BYTES, MAX_PIXELS, MIN_SIDE, FORMATS,
          MAX_DECODED_BYTES, DECODE_TIMEOUT_MS, EXECUTION_PROVIDER, ONNX_THREADS, STARTING_OFFSETS, BOUNDED,
          METRICS_WINDOW_TOKENS, INPUT_VALUE_FORMAT, OUTPUT_VALUE_FORMAT, DEAD_LETTER_VALUE_FORMAT, SCHEMA_REGISTRY_URL,
          SCHEMA_REGISTRY_AUTO_REGISTER);

  /** Options without a default that the job cannot run without. */
  public static final List<ConfigOption<?>> REQUIRED = List.of(BOOTSTRAP_SERVERS, MODEL);

  /** Prefix of Kafka client properties passed through to the source and sinks (prefix removed). */
  public static final String KAFKA_PREFIX = "kafka.";
}
