package dev.ibq.cli;

import dev.ibq.local.cluster.FlinkRestClient;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code ./ibq cancel JOB}: cancels a job on a Flink cluster (no savepoint; the retained checkpoints
 * stay, so {@code ./ibq submit --from-savepoint CHECKPOINT} can still resume it).
 */
@Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a job on a Flink cluster (default: the local one).")
public final class CancelCommand implements Callable<Integer> {

  @Mixin ClusterTarget target = new ClusterTarget();

  @Parameters(index = "0", description = "job id")
  String jobId;

  /** The job and the state it reached. */
  public record Result(String jobId, String state) {}

  @Override
  public Integer call() {
    Result r = run(target.restUrl(), jobId);
    System.out.println("Job " + r.jobId() + " is " + r.state() + ".");
    return 0;
  }

  /** Cancels the job and waits (up to a minute) until it is CANCELED. */
  public static Result run(String restUrl, String jobId) {
    FlinkRestClient rest = new FlinkRestClient(restUrl);
    rest.cancel(jobId);
    String state = rest.awaitJobState(jobId, Set.of("CANCELED"), Duration.ofMinutes(1));
    return new Result(jobId, state);
  }
}
