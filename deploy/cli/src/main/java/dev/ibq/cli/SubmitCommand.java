package dev.ibq.cli;

import dev.ibq.local.cluster.ClusterState;
import dev.ibq.local.cluster.FlinkRestClient;
import dev.ibq.local.cluster.ProjectPaths;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./ibq submit}: uploads the job jar to a Flink cluster over REST ({@code /jars/upload}) and runs
 * the tokenization job ({@code /jars/{id}/run}), optionally restoring a savepoint; prints the job id.
 * Settings are checked here (the same {@link JobConfig} validation the job does) before anything is sent.
 */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description = {
      "Submit the tokenization job jar to a Flink cluster over REST (default: the local './ibq cluster').",
      "Model upgrade: ./ibq savepoint JOB --stop, then ./ibq submit --model NEW --from-savepoint SAVEPOINT."
    })
public final class SubmitCommand implements Callable<Integer> {

  @Mixin ClusterTarget target = new ClusterTarget();

  @Option(names = "--jar", description = "job jar (default: streaming-job/target/streaming-job-*-job.jar)")
  Path jar;

  @Option(names = "--model", required = true, description = "exported encoder.onnx or its directory, as the TaskManagers see it (model)")
  String model;

  @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default: the local cluster's broker)")
  String bootstrap;

  @Option(names = "--input-topic", description = "input topic (default: ibq.images)")
  String inputTopic;

  @Option(names = "--output-topic", description = "token topic (default: ibq.tokens)")
  String outputTopic;

  @Option(names = "--dead-letter-topic", description = "dead-letter topic (default: ibq.dead-letters)")
  String deadLetterTopic;

  @Option(names = {"-p", "--parallelism"}, description = "job parallelism, as flink run -p (default: the cluster's parallelism.default)")
  Integer parallelism;

  @Option(names = {"-s", "--from-savepoint"}, description = "restore this savepoint or retained checkpoint, as flink run -s")
  String fromSavepoint;

  @Option(names = "--kafka", description = "Kafka client property KEY=VALUE for the source and sinks, e.g. security.protocol=SSL (repeatable)")
  Map<String, String> kafka = new LinkedHashMap<>();

  @Option(names = "--create-topics", description = "create the three topics with this many partitions when missing (0: do not)")
  int createTopicsPartitions;

  @Option(names = "--set", description = "any other job setting KEY=VALUE, as in 'stream --list-settings' (repeatable)")
  Map<String, String> set = new LinkedHashMap<>();

  /**
   * A submitted job.
   *
   * @param jobId Flink job id
   * @param jarId the uploaded jar's id on the cluster
   * @param restUrl the cluster's REST endpoint
   * @param config the validated job settings
   * @param programArgs the arguments the job's main received
   */
  public record Result(String jobId, String jarId, String restUrl, JobConfig config, List<String> programArgs) {}

  @Override
  public Integer call() {
    Result r = run(target.restUrl(), jar != null ? jar : ProjectPaths.jobJar(), settings(), parallelism, fromSavepoint, createTopicsPartitions);
    System.out.println("Submitted job " + r.jobId() + " to " + r.restUrl() + " (tokenizing " + r.config().inputTopic() + " -> "
        + r.config().outputTopic() + ")");
    System.out.println(r.jobId());
    return 0;
  }

  /** The job settings from the flags, the broker defaulting to the local cluster's. */
  Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    String servers = bootstrap;
    if (servers == null) {
      ClusterState local = target.localState();
      if (local == null) {
        throw new IllegalArgumentException("--bootstrap is missing and no local cluster runs; name the Kafka bootstrap servers.");
      }
      servers = local.bootstrapServers();
    }
    s.put(JobConfig.BOOTSTRAP_SERVERS, servers);
    s.put(JobConfig.MODEL, model);
    put(s, JobConfig.INPUT_TOPIC, inputTopic);
    put(s, JobConfig.OUTPUT_TOPIC, outputTopic);
    put(s, JobConfig.DEAD_LETTER_TOPIC, deadLetterTopic);
    s.putAll(KafkaOptions.settings(set, kafka));
    return s;
  }

  private static void put(Map<String, String> m, String k, String v) {
    if (v != null) {
      m.put(k, v);
    }
  }

  /**
   * Validates the settings, optionally creates the topics, uploads {@code jar} and runs it.
   *
   * @param settings job settings (keys of {@link JobConfig#SETTINGS}); passed to the job as {@code --key value}
   * @param savepoint savepoint to restore, or null
   * @param createTopicsPartitions &gt; 0: create missing topics with this many partitions first
   */
  public static Result run(
      String restUrl, Path jar, Map<String, String> settings, Integer parallelism, String savepoint, int createTopicsPartitions) {
    JobConfig config = JobConfig.fromMap(settings);
    if (!java.nio.file.Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("The job jar " + jar + " does not exist; build it with 'mvn -q package -DskipTests'.");
    }
    if (createTopicsPartitions > 0) {
      KafkaBrokerProcess.createTopics(
          config.bootstrapServers(), createTopicsPartitions, config.inputTopic(), config.outputTopic(), config.deadLetterTopic());
    }
    FlinkRestClient rest = new FlinkRestClient(restUrl);
    String jarId = rest.uploadJar(jar);
    List<String> args = FlinkRestClient.programArgs(settings);
    // null: the cluster's parallelism.default decides, as with 'flink run' without -p
    String jobId = rest.runJar(jarId, null, args, parallelism != null ? parallelism : config.parallelism(), savepoint);
    return new Result(jobId, jarId, restUrl, config, args);
  }
}
