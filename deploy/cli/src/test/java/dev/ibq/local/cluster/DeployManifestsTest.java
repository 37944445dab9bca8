package dev.ibq.local.cluster;

import dev.ibq.training.io.Json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.stream.config.JobConfig;
import dev.ibq.stream.job.TokenizeJob;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads every manifest in deploy/ and checks what the Flink Kubernetes Operator, Strimzi, Docker Compose
 * and the job itself need, so that a typo in a key, a jar path, a topic name or a job argument fails the
 * build instead of a rollout.
 */
class DeployManifestsTest {
  private static Path deploy;
  private static List<Map<String, Object>> docs;

  @BeforeAll
  static void readAll() throws Exception {
    deploy = ProjectPaths.root().resolve("deploy");
    docs = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(deploy)) {
      files = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).filter(p -> !p.toString().contains("/target/")).toList();
    }
    assertThat(files).isNotEmpty();
    for (Path f : files) {
      try (Reader r = Files.newBufferedReader(f)) {
        for (Object doc : Json.YAML.readerFor(Object.class).readValues(r).readAll()) {
          if (doc != null) {
            assertThat(doc).as("%s holds a YAML mapping", f).isInstanceOf(Map.class);
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) doc;
            m.put("__file", f.getFileName().toString());
            docs.add(m);
          }
        }
      }
    }
  }

  @Test
  void flinkDeploymentCarriesWhatTheOperatorAndTheJobNeed() throws Exception {
    List<Map<String, Object>> deployments = ofKind("FlinkDeployment");
    assertThat(deployments).hasSize(1);
    Map<String, Object> d = deployments.get(0);
    assertThat(d.get("apiVersion")).isEqualTo("flink.apache.org/v1beta1");
    assertThat(map(d, "metadata").get("name")).isNotNull();
    Map<String, Object> spec = map(d, "spec");
    String[] v = EnvironmentInformation.getVersion().split("\\.");
    assertThat(spec.get("flinkVersion")).as("the Flink version the job is built against").isEqualTo("v" + v[0] + "_" + v[1]);
    assertThat((String) spec.get("image")).isNotBlank();
    assertThat(spec.get("serviceAccount")).isNotNull();

    Map<String, Object> job = map(spec, "job");
    assertThat(job.get("jarURI")).isEqualTo("local://" + dockerJobJarPath());
    assertThat(job.get("upgradeMode")).isEqualTo("savepoint");
    assertThat(job.get("state")).isEqualTo("running");
    assertThat(Class.forName((String) job.get("entryClass"))).isEqualTo(TokenizeJob.class);
    @SuppressWarnings("unchecked")
    List<String> args = (List<String>) job.get("args");
    JobConfig config = TokenizeJob.parseArgs(args.toArray(String[]::new)); // unknown or malformed settings throw
    assertThat(config.model()).startsWith(dockerModelDir());
    assertThat(config.executionProvider()).isEqualTo("CUDA");
    assertThat(topicNames()).contains(config.inputTopic(), config.outputTopic(), config.deadLetterTopic());
    // Flink's own ways only: the operator's job.parallelism and flinkConfiguration, never job-level copies.
    assertThat(((Number) job.get("parallelism")).intValue()).isPositive();
    assertThat(config.parallelism()).as("job-level parallelism in job.args").isNull();
    assertThat(config.checkpointIntervalMs()).as("job-level checkpoint interval in job.args").isNull();

    Map<String, Object> conf = map(spec, "flinkConfiguration");
    assertThat(conf).containsKeys("execution.checkpointing.interval", "restart-strategy.type", "pipeline.max-parallelism");
    Set<String> known = FlinkOptionKeys.all();
    for (String key : conf.keySet()) {
      if (!key.startsWith("kubernetes.") && !key.startsWith("s3.")) {
        assertThat(known).as("flinkConfiguration key '%s' is a Flink option", key).contains(key);
      }
    }
    assertThat(conf.get("execution.checkpointing.dir").toString()).matches("(s3|file|hdfs|gs)://.+");
    assertThat(conf.get("execution.checkpointing.savepoint-dir").toString()).matches("(s3|file|hdfs|gs)://.+");
    assertThat(conf.get("high-availability.type")).isEqualTo("kubernetes");
    assertThat(conf.get("high-availability.storageDir").toString()).matches("(s3|file|hdfs|gs)://.+");
    assertThat(conf.get("classloader.parent-first-patterns.additional").toString()).contains("ai.onnxruntime");

    for (String role : List.of("jobManager", "taskManager")) {
      Map<String, Object> res = map(map(spec, role), "resource");
      assertThat(res.get("memory").toString()).as(role + " memory").matches("\\d+[mg]");
      assertThat(((Number) res.get("cpu")).doubleValue()).as(role + " cpu").isPositive();
    }
    Map<String, Object> tmPod = map(spec, "taskManagerPodTemplate");
    Map<String, Object> main = mainContainer(tmPod);
    Map<String, Object> resources = map(main, "resources");
    assertThat(((Number) map(resources, "limits").get("nvidia.com/gpu")).intValue()).isGreaterThanOrEqualTo(1);
    assertThat(((Number) map(resources, "requests").get("nvidia.com/gpu")).intValue()).isGreaterThanOrEqualTo(1);
    assertThat(mainContainer(map(spec, "podTemplate"))).isNotNull();
  }

  @Test
  void kafkaTopicsAreStrimziResourcesWithReasonedSettings() {
    List<Map<String, Object>> topics = ofKind("KafkaTopic");
    assertThat(topicNames()).containsExactlyInAnyOrder(
        JobConfig.SETTINGS.get(JobConfig.INPUT_TOPIC).defaultValue(),
        JobConfig.SETTINGS.get(JobConfig.OUTPUT_TOPIC).defaultValue(),
        JobConfig.SETTINGS.get(JobConfig.DEAD_LETTER_TOPIC).defaultValue());
    long jobMessageLimit = Long.parseLong(JobConfig.SETTINGS.get(JobConfig.MAX_MESSAGE_BYTES).defaultValue());
    for (Map<String, Object> t : topics) {
      assertThat(t.get("apiVersion").toString()).startsWith("kafka.strimzi.io/");
      assertThat(map(map(t, "metadata"), "labels")).containsKey("strimzi.io/cluster");
      Map<String, Object> spec = map(t, "spec");
      assertThat(((Number) spec.get("partitions")).intValue()).isPositive();
      assertThat(((Number) spec.get("replicas")).intValue()).isPositive();
      Map<String, Object> config = map(spec, "config");
      assertThat(config.get("cleanup.policy")).isIn("delete", "compact", "compact,delete");
      if ("delete".equals(config.get("cleanup.policy"))) {
        assertThat(Long.parseLong(config.get("retention.ms").toString())).isPositive();
      }
      assertThat(Integer.parseInt(config.get("min.insync.replicas").toString())).isLessThanOrEqualTo(((Number) spec.get("replicas")).intValue());
    }
    // The input and dead-letter topics must take every image the job accepts.
    for (String name : List.of("ibq.images", "ibq.dead-letters")) {
      Map<String, Object> config = map(map(topic(name), "spec"), "config");
      assertThat(Long.parseLong(config.get("max.message.bytes").toString())).isGreaterThanOrEqualTo(jobMessageLimit);
    }
    assertThat(map(map(topic("ibq.tokens"), "spec"), "config").get("cleanup.policy")).isEqualTo("compact");
  }

  @Test
  void composeRunsKafkaFlinkAndASubmitterOfTheImagesJobJar() throws Exception {
    Map<String, Object> compose = docs.stream().filter(d -> d.get("__file").equals("compose.yaml")).findFirst().orElseThrow();
    Map<String, Object> services = map(compose, "services");
    assertThat(services).containsKeys("kafka", "topics", "jobmanager", "taskmanager", "submitter");
    assertThat(map(services, "jobmanager").get("command")).isEqualTo("jobmanager");
    assertThat(map(services, "taskmanager").get("command")).isEqualTo("taskmanager");
    @SuppressWarnings("unchecked")
    List<String> submit = (List<String>) map(services, "submitter").get("command");
    int jar = submit.indexOf(dockerJobJarPath());
    assertThat(jar).as("the submitter runs the image's job jar").isPositive();
    JobConfig config = TokenizeJob.parseArgs(submit.subList(jar + 1, submit.size()).toArray(String[]::new));
    assertThat(config.model()).startsWith(dockerModelDir());
    assertThat(config.parallelism()).as("job-level parallelism in the submitter's job arguments").isNull();
    assertThat(submit.subList(0, jar)).as("flink run's own -p").containsSequence("-p", "2");
    String props = map(compose, "x-flink-properties").get("FLINK_PROPERTIES").toString();
    assertThat(props).contains("execution.checkpointing.interval:").contains("restart-strategy.type:");
    assertThat(props).contains("classloader.parent-first-patterns.additional: ai.onnxruntime");
  }

  @Test
  void dockerfileBuildsOnFlinkWithOnnxRuntimeInLibAndTheJobInUsrlib() throws Exception {
    String df = Files.readString(deploy.resolve("Dockerfile"));
    String[] v = EnvironmentInformation.getVersion().split("\\.");
    assertThat(df).containsPattern("ARG FLINK_IMAGE=flink:" + v[0] + "\\." + v[1] + "\\.\\d+-java17");
    assertThat(df).contains("/opt/flink/lib/").contains("onnxruntime_gpu-*.jar");
    assertThat(df).containsPattern("libcudnn\\S*\\.so\\.9").containsPattern("libcudart\\.so\\.12");
    assertThat(df).contains("/opt/ibq/model/");
  }

  /** The path the Dockerfile copies the job jar to. */
  private static String dockerJobJarPath() throws Exception {
    String df = Files.readString(deploy.resolve("Dockerfile"));
    var m = java.util.regex.Pattern.compile("(/opt/flink/usrlib/\\S+\\.jar)").matcher(df);
    assertThat(m.find()).as("the Dockerfile copies a jar into /opt/flink/usrlib/").isTrue();
    return m.group(1);
  }

  private static String dockerModelDir() {
    return "/opt/ibq/model/";
  }

  private static List<Map<String, Object>> ofKind(String kind) {
    return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  private static Set<String> topicNames() {
    return ofKind("KafkaTopic").stream()
        .map(t -> {
          Map<String, Object> spec = map(t, "spec");
          return spec.containsKey("topicName") ? spec.get("topicName").toString() : map(t, "metadata").get("name").toString();
        })
        .collect(Collectors.toSet());
  }

  private static Map<String, Object> topic(String name) {
    return ofKind("KafkaTopic").stream().filter(t -> name.equals(map(t, "metadata").get("name"))).findFirst().orElseThrow();
  }

  private static Map<String, Object> mainContainer(Map<String, Object> podTemplate) {
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> containers = (List<Map<String, Object>>) map(podTemplate, "spec").get("containers");
    return containers.stream().filter(c -> "flink-main-container".equals(c.get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("a pod template must name its container flink-main-container (the operator merges by that name)"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> parent, String key) {
    Object v = parent.get(key);
    assertThat(v).as("key '%s' (a mapping) in %s", key, parent.getOrDefault("__file", "")).isInstanceOf(Map.class);
    return (Map<String, Object>) v;
  }
}
