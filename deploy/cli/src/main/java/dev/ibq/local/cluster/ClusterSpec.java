package dev.ibq.local.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a standalone session cluster on one machine, and the Flink {@code config.yaml} it runs with.
 *
 * <p>Memory is sized for a small machine (2 cores, a few GB): a TaskManager process of about 2.3 GB
 * (1.5 GB task heap; with 512 MB the job ran at two thirds of the speed, streaming-job/benchmarks/cluster.md),
 * with every component Flink requires for a TaskManager started without the distribution's scripts set
 * explicitly (task heap, task off-heap, network, managed memory); see {@link #taskManagerJvmOptions()}
 * for the matching JVM limits. The REST endpoint listens on 127.0.0.1 only.
 *
 * <p>ONNX Runtime is on the cluster class path (Flink's lib/), and {@code ai.onnxruntime} is added to the
 * parent-first patterns as a second guard: a job jar that bundles its own copy still uses lib/'s, so the
 * JNI library is loaded once per TaskManager JVM, whatever the number of job restarts and resubmissions.
 *
 * @param workDir holds conf/, log/, checkpoints/, savepoints/, the upload and temp directories, kafka/
 * @param restPort REST (web) port on 127.0.0.1
 * @param rpcPort JobManager RPC port on localhost
 * @param slotsPerTaskManager task slots of each TaskManager
 */
public record ClusterSpec(Path workDir, int restPort, int rpcPort, int slotsPerTaskManager) {

  /** Flink's own default JVM flags for JDK 17 (module exports and opens its runtime relies on). */
  static final List<String> JDK17_OPTIONS =
      List.of(
          "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.text=ALL-UNNAMED",
          "--add-opens=java.base/java.time=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  public Path confDir() {
    return workDir.resolve("conf");
  }

  public Path logDir() {
    return workDir.resolve("log");
  }

  public Path checkpointDir() {
    return workDir.resolve("checkpoints");
  }

  public Path savepointDir() {
    return workDir.resolve("savepoints");
  }

  public Path kafkaDir() {
    return workDir.resolve("kafka");
  }

  public String restUrl() {
    return "http://127.0.0.1:" + restPort;
  }

  /** The settings of config.yaml, in file order. */
  public Map<String, String> flinkSettings() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("jobmanager.rpc.address", "localhost");
    c.put("jobmanager.rpc.port", String.valueOf(rpcPort));
    c.put("jobmanager.bind-host", "localhost");
    c.put("taskmanager.bind-host", "localhost");
    c.put("taskmanager.host", "localhost");
    c.put("rest.address", "127.0.0.1");
    c.put("rest.bind-address", "127.0.0.1");
    c.put("rest.port", String.valueOf(restPort));
    c.put("web.upload.dir", workDir.resolve("uploads").toString());
    c.put("io.tmp.dirs", workDir.resolve("tmp").toString());
    c.put("blob.storage.directory", workDir.resolve("blobs").toString());

    c.put("jobmanager.memory.process.size", "1024m");
    c.put("taskmanager.numberOfTaskSlots", String.valueOf(slotsPerTaskManager));
    c.put("taskmanager.cpu.cores", String.valueOf(slotsPerTaskManager));
    // A TaskManager started without bin/taskmanager.sh must have these set explicitly.
    c.put("taskmanager.memory.framework.heap.size", "128m");
    c.put("taskmanager.memory.task.heap.size", "1536m");
    c.put("taskmanager.memory.framework.off-heap.size", "128m");
    c.put("taskmanager.memory.task.off-heap.size", "128m");
    c.put("taskmanager.memory.network.min", "64m");
    c.put("taskmanager.memory.network.max", "64m");
    c.put("taskmanager.memory.managed.size", "64m");
    c.put("taskmanager.memory.jvm-metaspace.size", "256m");
    c.put("taskmanager.memory.jvm-overhead.min", "192m");
    c.put("taskmanager.memory.jvm-overhead.max", "192m");

    c.put("parallelism.default", "1");
    c.put("state.backend.type", "hashmap");
    c.put("execution.checkpointing.dir", checkpointDir().toUri().toString());
    c.put("execution.checkpointing.savepoint-dir", savepointDir().toUri().toString());
    c.put("execution.checkpointing.num-retained", "2");
    // The cluster, not the job, decides checkpointing and restarts (jobs may override at job level).
    c.put("execution.checkpointing.interval", "2 s");
    c.put("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
    // Flink's default strategy with checkpointing, with a short reset threshold: no lifetime cap on restarts.
    c.put("restart-strategy.type", "exponential-delay");
    c.put("restart-strategy.exponential-delay.initial-backoff", "1 s");
    c.put("restart-strategy.exponential-delay.max-backoff", "10 s");
    c.put("restart-strategy.exponential-delay.reset-backoff-threshold", "1 min");
    // Notice a killed TaskManager within seconds instead of the default 50 s.
    c.put("heartbeat.interval", "1000");
    c.put("heartbeat.timeout", "8000");
    c.put("classloader.resolve-order", "child-first");
    c.put("classloader.parent-first-patterns.additional", "ai.onnxruntime");
    return c;
  }

  /** JVM flags of a TaskManager, matching the memory settings above. */
  public List<String> taskManagerJvmOptions() {
    // heap = framework heap + task heap; direct = framework off-heap + task off-heap + network
    // (ClusterSpecTest checks these against what Flink derives from the settings above)
    return List.of("-Xms1664m", "-Xmx1664m", "-XX:MaxDirectMemorySize=320m", "-XX:MaxMetaspaceSize=256m");
  }

  /** JVM flags of the JobManager. */
  public List<String> jobManagerJvmOptions() {
    return List.of("-Xms256m", "-Xmx640m", "-XX:MaxMetaspaceSize=256m");
  }

  /** Writes conf/config.yaml and conf/log4j2-cluster.properties and creates the directories. */
  public void writeConf() throws IOException {
    for (Path d : List.of(confDir(), logDir(), checkpointDir(), savepointDir(), workDir.resolve("uploads"), workDir.resolve("tmp"))) {
      Files.createDirectories(d);
    }
    StringBuilder yaml = new StringBuilder("# Written by dev.ibq.local.cluster.ClusterSpec; regenerated on each 'ibq cluster start'.\n");
    for (Map.Entry<String, String> e : flinkSettings().entrySet()) {
      yaml.append(e.getKey()).append(": ").append(yamlString(e.getValue())).append('\n');
    }
    Files.writeString(confDir().resolve("config.yaml"), yaml.toString(), StandardCharsets.UTF_8);
    Files.writeString(
        confDir().resolve("log4j2-cluster.properties"),
        String.join(
            "\n",
            "# Each process logs to the file named by its -Dlog.file.",
            "monitorInterval = 0",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.file.ref = MainAppender",
            "logger.kafka.name = org.apache.kafka",
            "logger.kafka.level = WARN",
            "logger.pekko.name = org.apache.pekko",
            "logger.pekko.level = WARN",
            "logger.netty.name = org.apache.flink.shaded.netty4",
            "logger.netty.level = WARN",
            "appender.main.name = MainAppender",
            "appender.main.type = File",
            "appender.main.fileName = ${sys:log.file}",
            "appender.main.append = true",
            "appender.main.layout.type = PatternLayout",
            "appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
            ""),
        StandardCharsets.UTF_8);
  }

  private static String yamlString(String v) {
    return "'" + v.replace("'", "''") + "'";
  }
}
