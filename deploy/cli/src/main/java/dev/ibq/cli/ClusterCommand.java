package dev.ibq.cli;

import dev.ibq.local.cluster.ClusterState;
import dev.ibq.local.cluster.FlinkRestClient;
import dev.ibq.local.cluster.ProjectPaths;
import dev.ibq.local.cluster.StandaloneCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./ibq cluster start|stop|status}: a standalone Flink session cluster on this machine as separate
 * processes (one JobManager, TaskManagers) plus a Kafka broker process, built from Maven-resolved Flink
 * jars (deploy/flink-lib/pom.xml). {@code start} returns once everything is up and leaves the processes
 * running; their pids and ports are in {@code WORK_DIR/cluster.properties}.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = {
      "Start, stop or inspect a local standalone Flink cluster (JobManager + TaskManagers + Kafka broker, separate JVMs).",
      "Then: ./ibq submit --model M; ./ibq savepoint JOB --stop; ./ibq cancel JOB."
    })
public final class ClusterCommand implements Callable<Integer> {

  /** What to do. */
  public enum Action {
    START,
    STOP,
    STATUS
  }

  @Parameters(index = "0", description = "start, stop or status")
  String action;

  @Option(names = "--work-dir", description = "where conf/, logs, checkpoints, savepoints and the broker live (default: .work/cluster)")
  Path workDir;

  @Option(names = "--task-managers", defaultValue = "1", description = "TaskManager processes to start (default: ${DEFAULT-VALUE})")
  int taskManagers;

  @Option(names = "--slots", defaultValue = "2", description = "task slots per TaskManager (default: ${DEFAULT-VALUE})")
  int slots;

  /**
   * What the command found or did.
   *
   * @param action the action
   * @param running whether a cluster runs after the action
   * @param state the cluster's state (null when none runs)
   * @param lines the report printed for people
   */
  public record Result(Action action, boolean running, ClusterState state, List<String> lines) {}

  @Override
  public Integer call() {
    Action a;
    try {
      a = Action.valueOf(action.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("The cluster action is '" + action + "'; expected start, stop or status.");
    }
    Result r = run(a, workDir != null ? workDir : ProjectPaths.defaultClusterDir(), taskManagers, slots);
    r.lines().forEach(System.out::println);
    return a == Action.STATUS && !r.running() ? 3 : 0;
  }

  /** Performs {@code action} on the cluster of {@code workDir}. */
  public static Result run(Action action, Path workDir, int taskManagers, int slots) {
    List<String> lines = new ArrayList<>();
    switch (action) {
      case START -> {
        StandaloneCluster cluster = StandaloneCluster.start(workDir, taskManagers, slots);
        ClusterState s = cluster.detach();
        lines.add("Flink standalone cluster started (work dir " + s.workDir() + ")");
        lines.add("  REST / web UI     " + s.restUrl());
        lines.add("  JobManager pid    " + s.jobManagerPid());
        lines.add("  TaskManager pids  " + s.taskManagerPids() + " (" + slots + " slots each)");
        lines.add("  Kafka bootstrap   " + s.bootstrapServers() + " (pid " + s.kafkaPid() + ")");
        lines.add("  logs              " + s.workDir().resolve("log"));
        lines.add("Next: ./ibq submit --model MODEL   (./ibq cluster stop when done)");
        return new Result(action, true, s, lines);
      }
      case STOP -> {
        if (!ClusterState.exists(workDir)) {
          lines.add("No local cluster runs from " + workDir + ".");
          return new Result(action, false, null, lines);
        }
        List<Long> stopped = StandaloneCluster.stop(workDir);
        lines.add("Stopped processes " + stopped + "; logs, checkpoints and savepoints stay in " + workDir + ".");
        return new Result(action, false, null, lines);
      }
      default -> {
        if (!ClusterState.exists(workDir)) {
          lines.add("No local cluster runs from " + workDir + " (start one with ./ibq cluster start).");
          return new Result(action, false, null, lines);
        }
        ClusterState s = ClusterState.load(workDir);
        boolean jm = StandaloneCluster.isRunning(s.jobManagerPid(), "StandaloneSessionClusterEntrypoint");
        lines.add("JobManager pid " + s.jobManagerPid() + (jm ? " running" : " NOT running") + ", REST " + s.restUrl());
        for (long pid : s.taskManagerPids()) {
          lines.add("TaskManager pid " + pid + (StandaloneCluster.isRunning(pid, "TaskManagerRunner") ? " running" : " NOT running"));
        }
        lines.add("Kafka pid " + s.kafkaPid() + (StandaloneCluster.isRunning(s.kafkaPid(), "kafka.Kafka") ? " running" : " NOT running")
            + ", bootstrap " + s.bootstrapServers());
        FlinkRestClient rest = new FlinkRestClient(s.restUrl());
        if (jm && rest.isUp()) {
          FlinkRestClient.Overview o = rest.overview();
          lines.add("Flink " + o.flinkVersion() + ": " + o.taskManagers() + " TaskManagers registered, slots " + o.slotsAvailable() + " free of " + o.slotsTotal());
          for (FlinkRestClient.JobSummary j : rest.jobs()) {
            lines.add("  job " + j.id() + " " + j.state() + "  " + j.name());
          }
        }
        return new Result(action, jm, s, lines);
      }
    }
  }
}
