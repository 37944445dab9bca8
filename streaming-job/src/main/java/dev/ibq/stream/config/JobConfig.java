package dev.ibq.stream.config;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The complete, validated configuration of the tokenization job. Immutable.
 *
 * <p>Built from string settings ({@link #fromMap}) in layers: the job's keys found in Flink's configuration
 * ({@link #jobSettingsIn}), a properties file, the job's arguments or CLI flags (later layers win). Every
 * setting is a Flink {@link ConfigOption} declared in {@link JobOptions} (type, default, description) and
 * parsed by Flink's option parsing; {@link #SETTINGS} lists them for display. An unknown key, a malformed value, a missing required value or two settings that contradict each other
 * fail with an {@link InvalidConfigException} naming the setting. Keys starting with {@code kafka.} are
 * Kafka client properties passed through (prefix removed) to the source and both sinks, e.g.
 * {@code kafka.security.protocol=SASL_SSL}; the few the job must own itself are refused.
 *
 * @param bootstrapServers Kafka bootstrap servers ({@code host:port,...})
 * @param inputTopic topic of {@code ImageRecord}s
 * @param outputTopic topic the {@code TokenRecord}s go to, keyed by image id
 * @param deadLetterTopic topic the {@code DeadLetterRecord}s go to
 * @param groupId consumer group of the source (offsets are committed on checkpoints, for monitoring)
 * @param model the exported encoder: a path, or a URI of any Flink file system ({@code file://},
 *     {@code s3://}, {@code hdfs://}, ...), of {@code encoder.onnx} or of the export directory holding it
 * @param modelShip ship the model with the job (Flink's distributed cache) instead of the tasks reading it
 * @param batchSize images per inference batch (upper bound)
 * @param maxWaitMs the longest an image waits for its batch to fill before the partial batch is encoded
 * @param parallelism parallel instances of every operator when the user sets it for this job; null leaves
 *     it to Flink ({@code flink run -p}, {@code parallelism.default}, the operator's {@code job.parallelism})
 * @param deliveryGuarantee exactly-once (transactions) or at-least-once
 * @param checkpointIntervalMs checkpoint period when the user sets it for this job (0 disables checkpointing,
 *     only with at-least-once); null leaves it to Flink's {@code execution.checkpointing.interval}
 * @param checkpointDir where checkpoints are kept (retained on cancel) so a later run can resume; null
 *     keeps them in memory
 * @param restoreFrom a checkpoint or savepoint path to resume from; null starts fresh
 * @param transactionalIdPrefix prefix of the Kafka transactional ids (unique per job on a cluster)
 * @param transactionTimeoutMs the producer's {@code transaction.timeout.ms}
 * @param maxMessageBytes Kafka records with a larger value are dead letters TOO_LARGE
 * @param maxPixels images with more pixels (read from the header, before decoding) are dead letters
 * @param minSide images narrower or lower than this many pixels are dead letters TOO_SMALL
 * @param formats the image formats accepted (lower-case names such as png, jpeg); empty: all the decoder
 *     supports
 * @param executionProvider AUTO (CUDA when it works, else CPU), CPU or CUDA
 * @param onnxThreads ONNX Runtime intra-op threads per task; 0 lets the runtime choose
 * @param startingOffsets where a fresh run (no restored state) starts reading: committed (falling back to
 *     earliest), earliest or latest
 * @param bounded stop after the offsets that were the latest when the job started (a finite run)
 * @param metricsWindowTokens how many recent tokens the live utilization and perplexity gauges cover
 * @param maxDecodedBytes images whose decoded raster and float planes (from the header: pixels, channels
 *     and bit depth) would take more memory are dead letters TOO_LARGE
 * @param decodeTimeoutMs images whose decode takes longer are dead letters DECODE_TIMEOUT
 * @param kafkaProperties client properties passed through (the {@code kafka.} prefix removed)
 * @param inputValueFormat framing of the input's ImageRecords (single-object or the Confluent wire format)
 * @param outputValueFormat framing of the TokenRecords written
 * @param deadLetterValueFormat framing of the DeadLetterRecords written
 * @param schemaRegistryUrl the Schema Registry of the confluent formats; null when none is used
 * @param schemaRegistryAutoRegister register the output schemas under their subjects when missing
 */
public record JobConfig(
    String bootstrapServers,
    String inputTopic,
    String outputTopic,
    String deadLetterTopic,
    String groupId,
    String model,
    boolean modelShip,
    int batchSize,
    long maxWaitMs,
    Integer parallelism,
    DeliveryGuarantee deliveryGuarantee,
    Long checkpointIntervalMs,
    String checkpointDir,
    String restoreFrom,
    String transactionalIdPrefix,
    long transactionTimeoutMs,
    int maxMessageBytes,
    long maxPixels,
    int minSide,
    List<String> formats,
    String executionProvider,
    int onnxThreads,
    StartingOffsets startingOffsets,
    boolean bounded,
    int metricsWindowTokens,
    long maxDecodedBytes,
    long decodeTimeoutMs,
    Map<String, String> kafkaProperties,
    ValueFormat inputValueFormat,
    ValueFormat outputValueFormat,
    ValueFormat deadLetterValueFormat,
    String schemaRegistryUrl,
    boolean schemaRegistryAutoRegister)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Where a run without restored state starts reading the input topic. */
  public enum StartingOffsets {
    COMMITTED,
    EARLIEST,
    LATEST
  }

  public static final String BOOTSTRAP_SERVERS = JobOptions.BOOTSTRAP_SERVERS.key();
  public static final String INPUT_TOPIC = JobOptions.INPUT_TOPIC.key();
  public static final String OUTPUT_TOPIC = JobOptions.OUTPUT_TOPIC.key();
  public static final String DEAD_LETTER_TOPIC = JobOptions.DEAD_LETTER_TOPIC.key();
  public static final String GROUP_ID = JobOptions.GROUP_ID.key();
  public static final String MODEL = JobOptions.MODEL.key();
  public static final String MODEL_SHIP = JobOptions.MODEL_SHIP.key();
  public static final String BATCH_SIZE = JobOptions.BATCH_SIZE.key();
  public static final String BATCH_MAX_WAIT_MS = JobOptions.BATCH_MAX_WAIT_MS.key();
  public static final String PARALLELISM = JobOptions.PARALLELISM.key();
  public static final String DELIVERY_GUARANTEE = JobOptions.DELIVERY_GUARANTEE.key();
  public static final String CHECKPOINT_INTERVAL_MS = JobOptions.CHECKPOINT_INTERVAL_MS.key();
  public static final String CHECKPOINT_DIR = JobOptions.CHECKPOINT_DIR.key();
  public static final String RESTORE_FROM = JobOptions.RESTORE_FROM.key();
  public static final String TRANSACTIONAL_ID_PREFIX = JobOptions.TRANSACTIONAL_ID_PREFIX.key();
  public static final String TRANSACTION_TIMEOUT_MS = JobOptions.TRANSACTION_TIMEOUT_MS.key();
  public static final String MAX_MESSAGE_BYTES = JobOptions.MAX_MESSAGE_BYTES.key();
  public static final String MAX_PIXELS = JobOptions.MAX_PIXELS.key();
  public static final String MIN_SIDE = JobOptions.MIN_SIDE.key();
  public static final String FORMATS = JobOptions.FORMATS.key();
  public static final String EXECUTION_PROVIDER = JobOptions.EXECUTION_PROVIDER.key();
  public static final String ONNX_THREADS = JobOptions.ONNX_THREADS.key();
  public static final String STARTING_OFFSETS = JobOptions.STARTING_OFFSETS.key();
  public static final String BOUNDED = JobOptions.BOUNDED.key();
  public static final String METRICS_WINDOW_TOKENS = JobOptions.METRICS_WINDOW_TOKENS.key();
  public static final String MAX_DECODED_BYTES = JobOptions.MAX_DECODED_BYTES.key();
  public static final String DECODE_TIMEOUT_MS = JobOptions.DECODE_TIMEOUT_MS.key();
  public static final String KAFKA_PREFIX = JobOptions.KAFKA_PREFIX;
  public static final String INPUT_VALUE_FORMAT = JobOptions.INPUT_VALUE_FORMAT.key();
  public static final String OUTPUT_VALUE_FORMAT = JobOptions.OUTPUT_VALUE_FORMAT.key();
  public static final String DEAD_LETTER_VALUE_FORMAT = JobOptions.DEAD_LETTER_VALUE_FORMAT.key();
  public static final String SCHEMA_REGISTRY_URL = JobOptions.SCHEMA_REGISTRY_URL.key();
  public static final String SCHEMA_REGISTRY_AUTO_REGISTER = JobOptions.SCHEMA_REGISTRY_AUTO_REGISTER.key();

  /**
   * Every setting with its default ({@code null}: required or unset), type and meaning, in display order;
   * derived from the {@link JobOptions} declarations.
   */
  public static final Map<String, Setting> SETTINGS = settings();

  /** One documented setting (a view of its {@link ConfigOption}). */
  public record Setting(String key, String defaultValue, String type, String description) implements Serializable {}

  /** Client properties the job sets itself; passing them through would break its guarantees. */
  static final Set<String> OWNED_KAFKA_PROPERTIES =
      Set.of(
          "bootstrap.servers",
          "group.id",
          "transactional.id",
          "transaction.timeout.ms",
          "isolation.level",
          "enable.auto.commit",
          "enable.idempotence",
          "key.serializer",
          "value.serializer",
          "key.deserializer",
          "value.deserializer");

  private static Map<String, Setting> settings() {
    Map<String, Setting> m = new LinkedHashMap<>();
    for (ConfigOption<?> o : JobOptions.ALL) {
      String type = typeName(o);
      String def = o.hasDefaultValue() ? String.valueOf(o.defaultValue()) : null;
      m.put(o.key(), new Setting(o.key(), def, type, descriptionText(o)));
    }
    return Collections.unmodifiableMap(m);
  }

  /** The option's description as plain text (Flink formats descriptions as HTML; ours are plain sentences). */
  static String descriptionText(ConfigOption<?> o) {
    return new org.apache.flink.configuration.description.HtmlFormatter()
        .format(o.description())
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
  }

  private static String typeName(ConfigOption<?> o) {
    // ConfigOption does not expose its class publicly; the default value's or the declaration's tells.
    Object d = o.hasDefaultValue() ? o.defaultValue() : null;
    if (d != null) {
      return d.getClass().getSimpleName();
    }
    if (o == JobOptions.PARALLELISM) {
      return "Integer";
    }
    if (o == JobOptions.CHECKPOINT_INTERVAL_MS) {
      return "Long";
    }
    return "String";
  }

  public JobConfig {
    formats = List.copyOf(formats);
    kafkaProperties = Collections.unmodifiableMap(new TreeMap<>(kafkaProperties));
    validate(
        bootstrapServers, inputTopic, outputTopic, deadLetterTopic, groupId, deliveryGuarantee, checkpointIntervalMs,
        transactionalIdPrefix, transactionTimeoutMs, formats, startingOffsets, bounded, restoreFrom);
    validateRegistry(inputValueFormat, outputValueFormat, deadLetterValueFormat, schemaRegistryUrl);
  }

  /** Whether any topic uses the Confluent wire format (and so the Schema Registry). */
  public boolean usesSchemaRegistry() {
    return inputValueFormat == ValueFormat.CONFLUENT || outputValueFormat == ValueFormat.CONFLUENT
        || deadLetterValueFormat == ValueFormat.CONFLUENT;
  }

  private static void validateRegistry(ValueFormat in, ValueFormat out, ValueFormat dead, String url) {
    String confluentKey = in == ValueFormat.CONFLUENT ? INPUT_VALUE_FORMAT
        : out == ValueFormat.CONFLUENT ? OUTPUT_VALUE_FORMAT
        : dead == ValueFormat.CONFLUENT ? DEAD_LETTER_VALUE_FORMAT : null;
    if (confluentKey != null && url == null) {
      throw new InvalidConfigException(
          SCHEMA_REGISTRY_URL, "is missing, but " + confluentKey + " is confluent, which needs a Schema Registry; set it"
              + " to the registry's URL (e.g. http://registry:8081) or use single-object");
    }
    if (url != null && !url.startsWith("http://") && !url.startsWith("https://")) {
      throw new InvalidConfigException(SCHEMA_REGISTRY_URL, "is '" + url + "'; expected an http:// or https:// URL");
    }
  }

  /** Reads a Java properties file (the same keys as {@link #SETTINGS}, plus {@code kafka.*}). */
  public static Map<String, String> readPropertiesFile(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new InvalidConfigException(
          "--config", "names " + file + ", which could not be read (" + e.getMessage() + ")");
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (String name : p.stringPropertyNames()) {
      m.put(name, p.getProperty(name).trim());
    }
    return m;
  }

  /**
   * Builds and validates a config from string settings (later maps override earlier ones, e.g. a file's
   * settings then the command line's).
   */
  @SafeVarargs
  public static JobConfig fromMap(Map<String, String>... layers) {
    Map<String, String> s = new LinkedHashMap<>();
    for (Map<String, String> layer : layers) {
      s.putAll(layer);
    }
    Map<String, String> kafka = new TreeMap<>();
    for (Map.Entry<String, String> e : s.entrySet()) {
      String key = e.getKey();
      if (key.startsWith(KAFKA_PREFIX)) {
        String clientKey = key.substring(KAFKA_PREFIX.length());
        if (OWNED_KAFKA_PROPERTIES.contains(clientKey)) {
          throw new InvalidConfigException(
              key,
              "is set by the job itself; use "
                  + ownerOf(clientKey)
                  + " instead of passing the Kafka client property through");
        }
        kafka.put(clientKey, e.getValue());
      } else if (!SETTINGS.containsKey(key)) {
        throw new InvalidConfigException(
            key, "is not a known setting; known settings are " + SETTINGS.keySet() + " and kafka.*");
      }
    }
    Values r = new Values(s);
    return new JobConfig(
        r.required(JobOptions.BOOTSTRAP_SERVERS),
        r.get(JobOptions.INPUT_TOPIC),
        r.get(JobOptions.OUTPUT_TOPIC),
        r.get(JobOptions.DEAD_LETTER_TOPIC),
        r.get(JobOptions.GROUP_ID),
        r.required(JobOptions.MODEL),
        r.get(JobOptions.MODEL_SHIP),
        r.positive(JobOptions.BATCH_SIZE),
        r.positive(JobOptions.BATCH_MAX_WAIT_MS),
        r.get(JobOptions.PARALLELISM) == null ? null : r.positive(JobOptions.PARALLELISM),
        DeliveryGuarantee.parse(DELIVERY_GUARANTEE, r.get(JobOptions.DELIVERY_GUARANTEE)),
        r.get(JobOptions.CHECKPOINT_INTERVAL_MS) == null ? null : r.nonNegative(JobOptions.CHECKPOINT_INTERVAL_MS),
        r.optional(JobOptions.CHECKPOINT_DIR),
        r.optional(JobOptions.RESTORE_FROM),
        r.get(JobOptions.TRANSACTIONAL_ID_PREFIX),
        r.positive(JobOptions.TRANSACTION_TIMEOUT_MS),
        r.positive(JobOptions.MAX_MESSAGE_BYTES),
        r.positive(JobOptions.MAX_PIXELS),
        r.positive(JobOptions.MIN_SIDE),
        r.list(JobOptions.FORMATS),
        r.choice(JobOptions.EXECUTION_PROVIDER, "AUTO", "CPU", "CUDA"),
        r.nonNegative(JobOptions.ONNX_THREADS),
        StartingOffsets.valueOf(r.choice(JobOptions.STARTING_OFFSETS, "COMMITTED", "EARLIEST", "LATEST")),
        r.get(JobOptions.BOUNDED),
        r.positive(JobOptions.METRICS_WINDOW_TOKENS),
        r.positive(JobOptions.MAX_DECODED_BYTES),
        r.positive(JobOptions.DECODE_TIMEOUT_MS),
        kafka,
        ValueFormat.parse(INPUT_VALUE_FORMAT, r.get(JobOptions.INPUT_VALUE_FORMAT)),
        ValueFormat.parse(OUTPUT_VALUE_FORMAT, r.get(JobOptions.OUTPUT_VALUE_FORMAT)),
        ValueFormat.parse(DEAD_LETTER_VALUE_FORMAT, r.get(JobOptions.DEAD_LETTER_VALUE_FORMAT)),
        r.optional(JobOptions.SCHEMA_REGISTRY_URL),
        r.get(JobOptions.SCHEMA_REGISTRY_AUTO_REGISTER));
  }

  /**
   * The job's settings found in a Flink configuration (known keys and {@code kafka.*}; everything else there
   * belongs to Flink): the lowest layer under a properties file and the job's arguments.
   */
  public static Map<String, String> jobSettingsIn(ReadableConfig flink) {
    Map<String, String> m = new LinkedHashMap<>();
    flink.toMap().forEach((k, v) -> {
      if (SETTINGS.containsKey(k) || k.startsWith(KAFKA_PREFIX)) {
        m.put(k, v);
      }
    });
    return m;
  }

  private static String ownerOf(String clientKey) {
    switch (clientKey) {
      case "bootstrap.servers":
        return BOOTSTRAP_SERVERS;
      case "group.id":
        return GROUP_ID;
      case "transaction.timeout.ms":
        return TRANSACTION_TIMEOUT_MS;
      case "transactional.id":
        return TRANSACTIONAL_ID_PREFIX;
      default:
        return DELIVERY_GUARANTEE + " (the job chooses serializers, isolation and idempotence)";
    }
  }

  // Called from the compact constructor, before the fields are assigned: works on the parameters.
  private static void validate(
      String bootstrapServers,
      String inputTopic,
      String outputTopic,
      String deadLetterTopic,
      String groupId,
      DeliveryGuarantee deliveryGuarantee,
      Long checkpointIntervalMs,
      String transactionalIdPrefix,
      long transactionTimeoutMs,
      List<String> formats,
      StartingOffsets startingOffsets,
      boolean bounded,
      String restoreFrom) {
    // Only a job-level interval is known here; TokenizeJob checks the effective one (Flink's or this).
    if (deliveryGuarantee == DeliveryGuarantee.EXACTLY_ONCE && checkpointIntervalMs != null && checkpointIntervalMs == 0) {
      throw new InvalidConfigException(
          CHECKPOINT_INTERVAL_MS,
          "is 0 (checkpointing disabled), but delivery.guarantee is exactly-once, which commits Kafka"
              + " transactions on checkpoints; set a positive interval or delivery.guarantee=at-least-once");
    }
    if (deliveryGuarantee == DeliveryGuarantee.EXACTLY_ONCE
        && checkpointIntervalMs != null
        && transactionTimeoutMs <= checkpointIntervalMs) {
      throw new InvalidConfigException(
          TRANSACTION_TIMEOUT_MS,
          "is "
              + transactionTimeoutMs
              + " ms, not longer than checkpoint.interval-ms ("
              + checkpointIntervalMs
              + " ms); a transaction stays open for a whole checkpoint interval, so the timeout must"
              + " be larger (e.g. 60000)");
    }
    if (inputTopic.equals(outputTopic) || inputTopic.equals(deadLetterTopic)) {
      throw new InvalidConfigException(
          INPUT_TOPIC, "is '" + inputTopic + "', the same as an output topic; the job would read its own output");
    }
    if (outputTopic.equals(deadLetterTopic)) {
      throw new InvalidConfigException(
          DEAD_LETTER_TOPIC, "is '" + deadLetterTopic + "', the same as output.topic; they hold different records");
    }
    if (bounded && startingOffsets == StartingOffsets.LATEST && restoreFrom == null) {
      throw new InvalidConfigException(
          BOUNDED, "is true with starting.offsets=latest, which would read nothing at all");
    }
    for (String f : formats) {
      if (!dev.ibq.image.DecodeLimits.ALL_FORMATS.contains(f)) {
        throw new InvalidConfigException(
            FORMATS, "names the format '" + f + "'; known formats are " + new java.util.TreeSet<>(dev.ibq.image.DecodeLimits.ALL_FORMATS));
      }
    }
    if (transactionalIdPrefix.isBlank()) {
      throw new InvalidConfigException(TRANSACTIONAL_ID_PREFIX, "is blank; expected a prefix unique to this job");
    }
    Map<String, String> named = new LinkedHashMap<>();
    named.put(BOOTSTRAP_SERVERS, bootstrapServers);
    named.put(INPUT_TOPIC, inputTopic);
    named.put(OUTPUT_TOPIC, outputTopic);
    named.put(DEAD_LETTER_TOPIC, deadLetterTopic);
    named.put(GROUP_ID, groupId);
    named.forEach(
        (key, value) -> {
          if (value == null || value.isBlank()) {
            throw new InvalidConfigException(key, "is blank; " + SETTINGS.get(key).description());
          }
        });
  }

  /**
   * Resolves a local path or {@code file:} URI (for local tools such as the benchmark; the job itself reads any
   * Flink file system); a directory resolves to the {@code encoder.onnx} inside it.
   */
  public static Path resolveModel(String location) {
    Path p;
    if (location.startsWith("file:")) {
      p = Path.of(URI.create(location));
    } else if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      throw new InvalidConfigException(
          MODEL,
          "is '" + location + "'; only local paths and file: URIs are supported (copy the model to each"
              + " worker, e.g. into the job image)");
    } else {
      p = Path.of(location);
    }
    if (Files.isDirectory(p)) {
      p = p.resolve("encoder.onnx");
    }
    return p.toAbsolutePath().normalize();
  }

  /** The settings as strings, such that {@code fromMap(config.toMap())} equals this config. */
  public Map<String, String> toMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(BOOTSTRAP_SERVERS, bootstrapServers);
    m.put(MODEL, model);
    m.put(MODEL_SHIP, String.valueOf(modelShip));
    m.put(INPUT_TOPIC, inputTopic);
    m.put(OUTPUT_TOPIC, outputTopic);
    m.put(DEAD_LETTER_TOPIC, deadLetterTopic);
    m.put(GROUP_ID, groupId);
    m.put(BATCH_SIZE, String.valueOf(batchSize));
    m.put(BATCH_MAX_WAIT_MS, String.valueOf(maxWaitMs));
    if (parallelism != null) {
      m.put(PARALLELISM, String.valueOf(parallelism));
    }
    m.put(DELIVERY_GUARANTEE, deliveryGuarantee.spelling());
    if (checkpointIntervalMs != null) {
      m.put(CHECKPOINT_INTERVAL_MS, String.valueOf(checkpointIntervalMs));
    }
    if (checkpointDir != null) {
      m.put(CHECKPOINT_DIR, checkpointDir);
    }
    if (restoreFrom != null) {
      m.put(RESTORE_FROM, restoreFrom);
    }
    m.put(TRANSACTIONAL_ID_PREFIX, transactionalIdPrefix);
    m.put(TRANSACTION_TIMEOUT_MS, String.valueOf(transactionTimeoutMs));
    m.put(MAX_MESSAGE_BYTES, String.valueOf(maxMessageBytes));
    m.put(MAX_PIXELS, String.valueOf(maxPixels));
    m.put(MIN_SIDE, String.valueOf(minSide));
    m.put(FORMATS, String.join(",", formats));
    m.put(EXECUTION_PROVIDER, executionProvider.toLowerCase(Locale.ROOT));
    m.put(ONNX_THREADS, String.valueOf(onnxThreads));
    m.put(STARTING_OFFSETS, startingOffsets.name().toLowerCase(Locale.ROOT));
    m.put(BOUNDED, String.valueOf(bounded));
    m.put(METRICS_WINDOW_TOKENS, String.valueOf(metricsWindowTokens));
    m.put(MAX_DECODED_BYTES, String.valueOf(maxDecodedBytes));
    m.put(DECODE_TIMEOUT_MS, String.valueOf(decodeTimeoutMs));
    m.put(INPUT_VALUE_FORMAT, inputValueFormat.spelling());
    m.put(OUTPUT_VALUE_FORMAT, outputValueFormat.spelling());
    m.put(DEAD_LETTER_VALUE_FORMAT, deadLetterValueFormat.spelling());
    if (schemaRegistryUrl != null) {
      m.put(SCHEMA_REGISTRY_URL, schemaRegistryUrl);
    }
    m.put(SCHEMA_REGISTRY_AUTO_REGISTER, String.valueOf(schemaRegistryAutoRegister));
    kafkaProperties.forEach((k, v) -> m.put(KAFKA_PREFIX + k, v));
    return m;
  }

  /** A copy with some settings replaced (validated again). */
  public JobConfig with(Map<String, String> overrides) {
    return fromMap(toMap(), overrides);
  }

  /** The sinks' producer {@code max.request.size} when {@code kafka.max.request.size} is not set: 16 MiB. */
  public static final int DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024;

  /**
   * The sinks' producer {@code max.request.size}: {@code kafka.max.request.size} or
   * {@link #DEFAULT_MAX_REQUEST_BYTES}. Dead letters are cut to fit it.
   */
  public int producerMaxRequestBytes() {
    String v = kafkaProperties.get("max.request.size");
    if (v == null) {
      return DEFAULT_MAX_REQUEST_BYTES;
    }
    try {
      int bytes = Integer.parseInt(v.trim());
      if (bytes > 0) {
        return bytes;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidConfigException(KAFKA_PREFIX + "max.request.size", "is '" + v + "'; expected a positive number of bytes");
  }

  /** The pass-through Kafka client properties as a {@link Properties} object (a fresh copy). */
  public Properties kafkaClientProperties() {
    Properties p = new Properties();
    p.putAll(kafkaProperties);
    return p;
  }

  /** Reads typed values through Flink's option parsing, with defaults; each failure names its key. */
  private static final class Values {
    private final Map<String, String> raw;
    private final Configuration conf;

    Values(Map<String, String> s) {
      this.raw = s;
      Map<String, String> trimmed = new LinkedHashMap<>();
      s.forEach((k, v) -> trimmed.put(k, v == null ? null : v.trim()));
      this.conf = Configuration.fromMap(trimmed);
    }

    <T> T get(ConfigOption<T> option) {
      try {
        return conf.get(option);
      } catch (IllegalArgumentException e) {
        throw new InvalidConfigException(
            option.key(), "is '" + raw.get(option.key()) + "'; expected " + expected(option));
      }
    }

    private static String expected(ConfigOption<?> option) {
      switch (typeName(option)) {
        case "Integer":
        case "Long":
          return "a whole number";
        case "Boolean":
          return "true or false";
        default:
          return "a string";
      }
    }

    String required(ConfigOption<String> option) {
      String v = get(option);
      if (v == null || v.isBlank()) {
        throw new InvalidConfigException(option.key(), "is missing; " + SETTINGS.get(option.key()).description());
      }
      return v.trim();
    }

    String optional(ConfigOption<String> option) {
      String v = get(option);
      return v == null || v.isBlank() ? null : v.trim();
    }

    <T extends Number> T positive(ConfigOption<T> option) {
      T v = get(option);
      if (v.longValue() <= 0) {
        throw new InvalidConfigException(option.key(), "is " + v + "; expected a positive number");
      }
      return v;
    }

    <T extends Number> T nonNegative(ConfigOption<T> option) {
      T v = get(option);
      if (v.longValue() < 0) {
        throw new InvalidConfigException(option.key(), "is " + v + "; expected 0 or a positive number");
      }
      return v;
    }

    String choice(ConfigOption<String> option, String... allowed) {
      String v = get(option).trim().toUpperCase(Locale.ROOT);
      if (Arrays.asList(allowed).contains(v)) {
        return v;
      }
      throw new InvalidConfigException(
          option.key(),
          "is '" + get(option) + "'; expected one of " + Arrays.toString(allowed).toLowerCase(Locale.ROOT));
    }

    List<String> list(ConfigOption<String> option) {
      List<String> out = new ArrayList<>();
      for (String part : get(option).split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim().toLowerCase(Locale.ROOT));
        }
      }
      return out;
    }
  }
}
