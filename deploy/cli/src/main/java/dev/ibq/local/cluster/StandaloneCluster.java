package dev.ibq.local.cluster;

import dev.ibq.local.kafka.KafkaBrokerProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A standalone Flink session cluster on this machine, as separate processes: one JobManager
 * ({@code StandaloneSessionClusterEntrypoint}), one or more TaskManagers ({@code TaskManagerRunner}), and
 * a single-node Kafka broker (KRaft) beside it. The Flink JVMs run on {@link FlinkLib}'s class path with
 * the {@code config.yaml} of a {@link ClusterSpec}; jobs come in as job jars over REST.
 *
 * <pre>{@code
 * try (StandaloneCluster cluster = StandaloneCluster.start(workDir, 1, 2)) {
 *   FlinkRestClient rest = cluster.rest();
 *   String jobId = rest.runJar(rest.uploadJar(ProjectPaths.jobJar()), null, args, 1, null);
 *   cluster.killTaskManager(cluster.taskManagerPids().get(0));   // a crash
 *   cluster.startTaskManager();                                   // a replacement
 * }
 * }</pre>
 *
 * <p>{@link #close()} stops every process. {@link #detach()} instead leaves them running after this JVM
 * exits (the {@code ibq cluster start} command); {@link #stop(Path)} stops them later from the state file.
 */
public final class StandaloneCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StandaloneCluster.class);
  static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private final ClusterSpec spec;
  private final String classPath;
  private final KafkaBrokerProcess broker;
  private final Process jobManager;
  private final List<Process> taskManagers = new ArrayList<>();
  private final FlinkRestClient rest;
  private final Thread reaper;
  private int taskManagerSeq;
  private boolean detached;
  private boolean closed;

  private StandaloneCluster(ClusterSpec spec, String classPath, KafkaBrokerProcess broker, Process jobManager) {
    this.spec = spec;
    this.classPath = classPath;
    this.broker = broker;
    this.jobManager = jobManager;
    this.rest = new FlinkRestClient(spec.restUrl());
    this.reaper = new Thread(this::killAll, "standalone-cluster-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /**
   * Starts a broker, a JobManager and {@code taskManagers} TaskManagers with {@code slots} slots each, and
   * waits until all TaskManagers are registered (15-40 s on 2 cores).
   */
  public static StandaloneCluster start(Path workDir, int taskManagers, int slots) {
    if (taskManagers < 1 || slots < 1) {
      throw new IllegalArgumentException(
          "A cluster needs at least one TaskManager with one slot; got " + taskManagers + " TaskManagers with " + slots + " slots.");
    }
    long t0 = System.nanoTime();
    if (ClusterState.exists(workDir)) {
      ClusterState old = ClusterState.load(workDir);
      if (isRunning(old.jobManagerPid(), JOB_MANAGER_MAIN)) {
        throw new IllegalStateException(
            "A cluster is already running from " + workDir + " (JobManager pid " + old.jobManagerPid() + ", REST "
                + old.restUrl() + "); stop it first with 'ibq cluster stop'.");
      }
      ClusterState.delete(workDir);
    }
    deleteRecursively(workDir.resolve("kafka")); // a fresh broker each start; its storage is formatted anew
    String classPath = FlinkLib.classPath();
    ClusterSpec spec;
    try {
      spec = new ClusterSpec(workDir.toAbsolutePath(), freePort(), freePort(), slots);
      spec.writeConf();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the cluster configuration under " + workDir + ".", e);
    }
    KafkaBrokerProcess broker = KafkaBrokerProcess.start(spec.kafkaDir(), true);
    Process jm;
    try {
      jm = launch(spec, classPath, JOB_MANAGER_MAIN, spec.jobManagerJvmOptions(), "jobmanager");
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
    StandaloneCluster cluster = new StandaloneCluster(spec, classPath, broker, jm);
    try {
      for (int i = 0; i < taskManagers; i++) {
        cluster.taskManagers.add(launch(spec, classPath, TASK_MANAGER_MAIN, spec.taskManagerJvmOptions(), cluster.nextTaskManagerName()));
      }
      cluster.awaitRegistered(taskManagers);
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
    cluster.saveState();
    LOG.info(
        "Flink standalone cluster up after {} ms: REST {}, JobManager pid {}, TaskManager pids {}, Kafka {} (pid {}); work dir {}",
        (System.nanoTime() - t0) / 1_000_000, spec.restUrl(), jm.pid(), cluster.taskManagerPids(), broker.bootstrapServers(),
        broker.pid(), spec.workDir());
    return cluster;
  }

  public ClusterSpec spec() {
    return spec;
  }

  public FlinkRestClient rest() {
    return rest;
  }

  /** The cluster's Kafka broker (e.g. for fault injection). */
  public KafkaBrokerProcess broker() {
    return broker;
  }

  public String bootstrapServers() {
    return broker.bootstrapServers();
  }

  public long jobManagerPid() {
    return jobManager.pid();
  }

  /** Pids of the live TaskManagers, oldest first. */
  public synchronized List<Long> taskManagerPids() {
    List<Long> pids = new ArrayList<>();
    for (Process p : taskManagers) {
      if (p.isAlive()) {
        pids.add(p.pid());
      }
    }
    return pids;
  }

  /** Starts one more TaskManager and waits until it is registered; returns its pid. */
  public synchronized long startTaskManager() {
    int before = (int) taskManagers.stream().filter(Process::isAlive).count();
    Process p = launch(spec, classPath, TASK_MANAGER_MAIN, spec.taskManagerJvmOptions(), nextTaskManagerName());
    taskManagers.add(p);
    awaitRegistered(before + 1);
    saveState();
    LOG.info("TaskManager pid {} started and registered.", p.pid());
    return p.pid();
  }

  /** Kills a TaskManager the hard way (SIGKILL), as a machine or JVM crash would. */
  public synchronized void killTaskManager(long pid) {
    Process p = taskManagers.stream().filter(t -> t.pid() == pid).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("No TaskManager of this cluster has pid " + pid + "; its TaskManagers are " + taskManagerPids() + "."));
    p.destroyForcibly();
    try {
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    saveState();
    LOG.info("TaskManager pid {} killed (SIGKILL).", pid);
  }

  /** The state that {@code ibq cluster status|stop|submit} read. */
  public synchronized ClusterState state() {
    return new ClusterState(spec.workDir(), spec.restUrl(), broker.bootstrapServers(), jobManager.pid(), taskManagerPids(), broker.pid());
  }

  /** Leaves all processes running after this JVM exits; {@link #stop(Path)} stops them later. */
  public synchronized ClusterState detach() {
    detached = true;
    broker.detach();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException ignored) {
      // already shutting down
    }
    ClusterState s = state();
    s.save();
    return s;
  }

  /** Stops the TaskManagers, the JobManager and the broker, and deletes the state file. */
  @Override
  public synchronized void close() {
    if (closed || detached) {
      return;
    }
    closed = true;
    for (Process p : taskManagers) {
      terminate(p.toHandle(), Duration.ofSeconds(10));
    }
    terminate(jobManager.toHandle(), Duration.ofSeconds(15));
    broker.close();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException ignored) {
      // already shutting down
    }
    ClusterState.delete(spec.workDir());
  }

  /**
   * Stops the cluster recorded in {@code workDir}'s state file: TaskManagers, JobManager, broker (each
   * SIGTERM, SIGKILL after a grace period); a pid now held by another program is left alone.
   *
   * @return the pids that were stopped
   */
  public static List<Long> stop(Path workDir) {
    ClusterState s = ClusterState.load(workDir);
    List<Long> stopped = new ArrayList<>();
    for (long pid : s.taskManagerPids()) {
      ours(pid, TASK_MANAGER_MAIN).ifPresent(h -> { terminate(h, Duration.ofSeconds(10)); stopped.add(pid); });
    }
    ours(s.jobManagerPid(), JOB_MANAGER_MAIN).ifPresent(h -> { terminate(h, Duration.ofSeconds(15)); stopped.add(s.jobManagerPid()); });
    ours(s.kafkaPid(), "kafka.Kafka").ifPresent(h -> { terminate(h, Duration.ofSeconds(20)); stopped.add(s.kafkaPid()); });
    ClusterState.delete(workDir);
    return stopped;
  }

  /** Whether {@code pid} is alive and runs {@code mainClass} (the state file may be stale). */
  public static boolean isRunning(long pid, String mainClass) {
    return ours(pid, mainClass).isPresent();
  }

  private static Optional<ProcessHandle> ours(long pid, String mainClass) {
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> commandLine(h).map(c -> c.contains(mainClass)).orElse(true));
  }

  /**
   * The full command line. ProcessHandle.Info cuts it at 4096 bytes on Linux, before the main class of a
   * JVM with a long class path, so /proc/PID/cmdline is read directly where it exists.
   */
  private static Optional<String> commandLine(ProcessHandle h) {
    Path proc = Path.of("/proc", String.valueOf(h.pid()), "cmdline");
    try {
      if (java.nio.file.Files.isReadable(proc)) {
        return Optional.of(new String(java.nio.file.Files.readAllBytes(proc), java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' '));
      }
    } catch (IOException e) {
      // gone meanwhile, or not readable: fall back
    }
    return h.info().commandLine();
  }

  private static void terminate(ProcessHandle h, Duration grace) {
    if (!h.isAlive()) {
      return;
    }
    h.destroy();
    try {
      h.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception notYet) {
      LOG.warn("Process {} did not stop within {}; killing it.", h.pid(), grace);
      h.destroyForcibly();
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // gone or unkillable: nothing more to do
      }
    }
  }

  private void killAll() {
    taskManagers.forEach(Process::destroyForcibly);
    jobManager.destroyForcibly();
  }

  private void saveState() {
    state().save();
  }

  private String nextTaskManagerName() {
    return "taskmanager-" + (++taskManagerSeq);
  }

  private void awaitRegistered(int n) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!jobManager.isAlive()) {
        throw new IllegalStateException(
            "The JobManager exited with code " + jobManager.exitValue() + " during start-up; see "
                + spec.logDir().resolve("jobmanager.log") + " and jobmanager.out.");
      }
      try {
        if (rest.overview().taskManagers() >= n) {
          return;
        }
      } catch (RuntimeException notYet) {
        // REST endpoint not up yet
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for the Flink cluster.", e);
      }
    }
    throw new IllegalStateException(
        "Fewer than " + n + " TaskManagers registered with the JobManager at " + spec.restUrl() + " within "
            + START_TIMEOUT.toSeconds() + " s; see the logs in " + spec.logDir() + ".");
  }

  private static Process launch(ClusterSpec spec, String classPath, String mainClass, List<String> jvm, String name) {
    Path log = spec.logDir().resolve(name + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    cmd.addAll(ClusterSpec.JDK17_OPTIONS);
    cmd.add("-XX:+UseG1GC"); // Flink's default collector, as bin/taskmanager.sh would run it
    cmd.add("-Djava.awt.headless=true");
    cmd.add("-Dlog.file=" + log);
    cmd.add("-Dlog4j2.configurationFile=" + spec.confDir().resolve("log4j2-cluster.properties").toUri());
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(mainClass);
    cmd.add("--configDir");
    cmd.add(spec.confDir().toString());
    try {
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.logDir().resolve(name + ".out").toFile()))
              .start();
      LOG.info("Started {} (pid {}), log {}", name, p.pid(), log);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start the " + name + " process.", e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!java.nio.file.Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("Could not delete the old broker directory " + dir + ".", e);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }
}
