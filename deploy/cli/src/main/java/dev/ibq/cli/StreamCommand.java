package dev.ibq.cli;

import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.config.SettingsTable;
import dev.ibq.stream.job.TokenizeJob;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./ibq stream}: runs the tokenization job against any Kafka cluster, in a local Flink mini
 * cluster on this machine. Settings come from {@code --config FILE} and the flags (flags win); every
 * key of the job config is also accepted as {@code --set KEY=VALUE}, Kafka client properties as
 * {@code --kafka security.protocol=SSL} (as in produce and consume).
 */
@Command(
    name = "stream",
    mixinStandardHelpOptions = true,
    description = {
      "Tokenize a live image stream: Kafka (ImageRecords) -> ONNX tokenizer -> Kafka (TokenRecords + dead letters).",
      "Runs until stopped (Ctrl-C), or until the input's current end with --bounded."
    })
public final class StreamCommand implements Callable<Integer> {

  @Option(names = "--config", description = "properties file with job settings (keys as in --list-settings)")
  Path config;

  @Option(names = "--bootstrap", description = "Kafka bootstrap servers (bootstrap.servers)")
  String bootstrap;

  @Option(names = "--model", description = "exported encoder.onnx or its directory (model)")
  String model;

  @Option(names = "--input-topic", description = "input topic (input.topic)")
  String inputTopic;

  @Option(names = "--output-topic", description = "token topic (output.topic)")
  String outputTopic;

  @Option(names = "--dead-letter-topic", description = "dead-letter topic (dead-letter.topic)")
  String deadLetterTopic;

  @Option(names = "--group-id", description = "consumer group (group.id)")
  String groupId;

  @Option(names = "--batch-size", description = "images per inference batch (batch.size)")
  Integer batchSize;

  @Option(names = "--max-wait-ms", description = "longest wait for a batch to fill (batch.max-wait-ms)")
  Long maxWaitMs;

  @Option(names = "--parallelism", description = "parallel instances (parallelism)")
  Integer parallelism;

  @Option(names = "--delivery", description = "exactly-once or at-least-once (delivery.guarantee)")
  String delivery;

  @Option(names = "--checkpoint-interval-ms", description = "checkpoint period, 0 = off (checkpoint.interval-ms)")
  Long checkpointIntervalMs;

  @Option(names = "--checkpoint-dir", description = "keep checkpoints here to resume later (checkpoint.dir)")
  String checkpointDir;

  @Option(names = {"-s", "--from-savepoint"}, description = "resume from this savepoint or retained checkpoint, as flink run -s (restore.from)")
  String restoreFrom;

  @Option(names = "--provider", description = "ONNX Runtime provider: auto, cpu, cuda, any case (onnx.execution-provider)")
  String provider;

  @Option(names = "--onnx-threads", description = "ONNX Runtime intra-op threads per task, 0 = its default (onnx.threads)")
  Integer onnxThreads;

  @Option(names = "--kafka", description = "Kafka client property KEY=VALUE for the source and sinks, e.g. security.protocol=SSL (repeatable)")
  Map<String, String> kafka = new LinkedHashMap<>();

  @Option(names = "--bounded", description = "stop at the input's end offsets as of the start (bounded)")
  boolean bounded;

  @Option(names = "--set", description = "any other job setting KEY=VALUE, as in --list-settings (repeatable)")
  Map<String, String> set = new LinkedHashMap<>();

  @Option(names = "--list-settings", description = "print every setting with its default and exit")
  boolean listSettings;

  /** What a finished run did. */
  public record Result(JobConfig config, long netRuntimeMillis) {}

  @Override
  public Integer call() throws Exception {
    if (listSettings) {
      System.out.print(SettingsTable.text());
      return 0;
    }
    Result r = run(settings());
    System.out.printf("Job finished after %.1f s.%n", r.netRuntimeMillis() / 1000.0);
    return 0;
  }

  /** The file's settings overridden by the flags. */
  JobConfig settings() {
    Map<String, String> file = config == null ? Map.of() : JobConfig.readPropertiesFile(config);
    Map<String, String> flags = new LinkedHashMap<>();
    put(flags, JobConfig.BOOTSTRAP_SERVERS, bootstrap);
    put(flags, JobConfig.MODEL, model);
    put(flags, JobConfig.INPUT_TOPIC, inputTopic);
    put(flags, JobConfig.OUTPUT_TOPIC, outputTopic);
    put(flags, JobConfig.DEAD_LETTER_TOPIC, deadLetterTopic);
    put(flags, JobConfig.GROUP_ID, groupId);
    put(flags, JobConfig.BATCH_SIZE, batchSize);
    put(flags, JobConfig.BATCH_MAX_WAIT_MS, maxWaitMs);
    put(flags, JobConfig.PARALLELISM, parallelism);
    put(flags, JobConfig.DELIVERY_GUARANTEE, delivery);
    put(flags, JobConfig.CHECKPOINT_INTERVAL_MS, checkpointIntervalMs);
    put(flags, JobConfig.CHECKPOINT_DIR, checkpointDir);
    put(flags, JobConfig.RESTORE_FROM, restoreFrom);
    put(flags, JobConfig.EXECUTION_PROVIDER, provider);
    put(flags, JobConfig.ONNX_THREADS, onnxThreads);
    if (bounded) {
      flags.put(JobConfig.BOUNDED, "true");
    }
    flags.putAll(KafkaOptions.settings(set, kafka));
    return JobConfig.fromMap(file, flags);
  }

  private static void put(Map<String, String> m, String key, Object value) {
    if (value != null) {
      m.put(key, value.toString());
    }
  }

  /** Parallelism of the local mini cluster when the job sets none. */
  static final int LOCAL_PARALLELISM = 1;

  /** Checkpoint interval of the local mini cluster when the job sets none. */
  static final Duration LOCAL_CHECKPOINT_INTERVAL = Duration.ofSeconds(2);

  /**
   * Runs the job in a local mini cluster until it ends (bounded) or the JVM is stopped. The mini cluster is
   * this command's own Flink "cluster", so its defaults (parallelism {@value #LOCAL_PARALLELISM}, a
   * checkpoint every 2 s) play the part of a cluster's config.yaml; job-level settings override them.
   */
  public static Result run(JobConfig config) throws Exception {
    Configuration local = new Configuration();
    local.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, LOCAL_CHECKPOINT_INTERVAL);
    local.addAll(TokenizeJob.flinkConfiguration(config));
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(
            config.parallelism() != null ? config.parallelism() : LOCAL_PARALLELISM, local);
    JobExecutionResult result = TokenizeJob.execute(env, config);
    return new Result(config, result.getNetRuntime());
  }
}
