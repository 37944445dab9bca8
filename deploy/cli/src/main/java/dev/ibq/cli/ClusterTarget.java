package dev.ibq.cli;

import dev.ibq.local.cluster.ClusterState;
import dev.ibq.local.cluster.FlinkRestClient;
import dev.ibq.local.cluster.ProjectPaths;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Options naming the Flink cluster a command talks to: a REST URL, or the local cluster started by
 * {@code ./ibq cluster start} (found through its state file in the work directory).
 */
public final class ClusterTarget {
  @Option(names = "--rest", description = "JobManager REST URL (default: the local cluster's, from its state file)")
  String rest;

  @Option(names = "--work-dir", description = "local cluster work directory (default: .work/cluster in the repository)")
  Path workDir;

  /** The local cluster's work directory. */
  Path workDir() {
    return workDir != null ? workDir : ProjectPaths.defaultClusterDir();
  }

  /** The local cluster's state, or null when a REST URL was given or no local cluster runs. */
  ClusterState localState() {
    return ClusterState.exists(workDir()) ? ClusterState.load(workDir()) : null;
  }

  /** The REST URL: --rest, else the local cluster's. */
  String restUrl() {
    if (rest != null) {
      return rest;
    }
    return ClusterState.load(workDir()).restUrl();
  }

  FlinkRestClient client() {
    return new FlinkRestClient(restUrl());
  }

  static ClusterTarget of(String restUrl) {
    ClusterTarget t = new ClusterTarget();
    t.rest = restUrl;
    return t;
  }
}
