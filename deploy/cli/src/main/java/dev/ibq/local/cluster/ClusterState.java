package dev.ibq.local.cluster;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * What {@code ibq cluster status|stop} and {@code ibq submit} need to find a running local cluster, kept
 * in {@code WORK_DIR/cluster.properties} while it runs.
 *
 * @param workDir the cluster's work directory (see {@link ClusterSpec})
 * @param restUrl the JobManager's REST endpoint, {@code http://127.0.0.1:PORT}
 * @param bootstrapServers the Kafka broker's client listener
 * @param jobManagerPid process id of the JobManager JVM
 * @param taskManagerPids process ids of the TaskManager JVMs
 * @param kafkaPid process id of the Kafka broker JVM
 */
public record ClusterState(
    Path workDir, String restUrl, String bootstrapServers, long jobManagerPid, List<Long> taskManagerPids, long kafkaPid) {

  public static final String FILE_NAME = "cluster.properties";

  public ClusterState {
    taskManagerPids = List.copyOf(taskManagerPids);
  }

  /** Every process of the cluster: JobManager, TaskManagers, broker. */
  public List<Long> allPids() {
    List<Long> all = new ArrayList<>();
    all.add(jobManagerPid);
    all.addAll(taskManagerPids);
    all.add(kafkaPid);
    return all;
  }

  /** Writes the state file atomically. */
  public void save() {
    Properties p = new Properties();
    p.setProperty("work.dir", workDir.toAbsolutePath().toString());
    p.setProperty("rest.url", restUrl);
    p.setProperty("bootstrap.servers", bootstrapServers);
    p.setProperty("jobmanager.pid", String.valueOf(jobManagerPid));
    List<String> tms = new ArrayList<>();
    taskManagerPids.forEach(pid -> tms.add(String.valueOf(pid)));
    p.setProperty("taskmanager.pids", String.join(",", tms));
    p.setProperty("kafka.pid", String.valueOf(kafkaPid));
    Path file = workDir.resolve(FILE_NAME);
    Path tmp = workDir.resolve(FILE_NAME + ".tmp");
    try (Writer w = Files.newBufferedWriter(tmp)) {
      p.store(w, "local IBQ Flink cluster (ibq cluster start); deleted by ibq cluster stop");
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the cluster state " + tmp + ".", e);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the cluster state " + file + ".", e);
    }
  }

  /** Whether a state file exists in {@code workDir}. */
  public static boolean exists(Path workDir) {
    return Files.isRegularFile(workDir.resolve(FILE_NAME));
  }

  /** Reads the state file of {@code workDir}. */
  public static ClusterState load(Path workDir) {
    Path file = workDir.resolve(FILE_NAME);
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(
          "No local cluster is running from " + workDir + " (" + file + " is missing); start one with 'ibq cluster start'.");
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read the cluster state " + file + ".", e);
    }
    List<Long> tms = new ArrayList<>();
    for (String s : p.getProperty("taskmanager.pids", "").split(",")) {
      if (!s.isBlank()) {
        tms.add(Long.parseLong(s.trim()));
      }
    }
    return new ClusterState(
        Path.of(p.getProperty("work.dir")),
        p.getProperty("rest.url"),
        p.getProperty("bootstrap.servers"),
        Long.parseLong(p.getProperty("jobmanager.pid")),
        tms,
        Long.parseLong(p.getProperty("kafka.pid")));
  }

  /** Deletes the state file. */
  public static void delete(Path workDir) {
    try {
      Files.deleteIfExists(workDir.resolve(FILE_NAME));
    } catch (IOException e) {
      throw new UncheckedIOException("Could not delete the cluster state in " + workDir + ".", e);
    }
  }
}
