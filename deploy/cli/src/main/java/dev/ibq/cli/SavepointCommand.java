package dev.ibq.cli;

import dev.ibq.local.cluster.FlinkRestClient;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./ibq savepoint JOB [--stop] [--drain]}: takes a savepoint of a running job; with {@code --stop}
 * it is a stop-with-savepoint (the sources stop, the last Kafka transactions commit with the savepoint,
 * the job ends), the first step of a model upgrade. Prints the savepoint's location.
 */
@Command(
    name = "savepoint",
    mixinStandardHelpOptions = true,
    description = {
      "Take a savepoint of a job (default cluster: the local one); --stop stops the job with it.",
      "Model upgrade: ./ibq savepoint JOB --stop, then ./ibq submit --model NEW --from-savepoint SAVEPOINT."
    })
public final class SavepointCommand implements Callable<Integer> {

  @Mixin ClusterTarget target = new ClusterTarget();

  @Parameters(index = "0", description = "job id")
  String jobId;

  @Option(names = "--stop", description = "stop the job with the savepoint (stop-with-savepoint)")
  boolean stop;

  @Option(names = "--drain", description = "with --stop: encode every pending image before the savepoint (needed when the next model uses other preprocessing)")
  boolean drain;

  @Option(names = "--target-dir", description = "directory or URI for the savepoint (default: the cluster's savepoint directory)")
  String targetDir;

  @Option(names = "--timeout-s", defaultValue = "300", description = "give up after this many seconds (default: ${DEFAULT-VALUE})")
  int timeoutS;

  /**
   * A savepoint taken.
   *
   * @param jobId the job
   * @param location where the savepoint is (pass it to {@code submit --from-savepoint})
   * @param stopped whether the job was stopped with it
   * @param jobState the job's state afterwards
   */
  public record Result(String jobId, String location, boolean stopped, String jobState) {}

  @Override
  public Integer call() {
    if (drain && !stop) {
      throw new IllegalArgumentException("--drain only applies to a stop-with-savepoint; add --stop.");
    }
    Result r = run(target.restUrl(), jobId, stop, drain, targetDir, Duration.ofSeconds(timeoutS));
    System.out.println("Savepoint of job " + r.jobId() + (r.stopped() ? " (job stopped, " + r.jobState() + ")" : "") + ":");
    System.out.println(r.location());
    return 0;
  }

  /** Takes the savepoint (and with {@code stop}, waits until the job has ended). */
  public static Result run(String restUrl, String jobId, boolean stop, boolean drain, String targetDir, Duration timeout) {
    FlinkRestClient rest = new FlinkRestClient(restUrl);
    if (stop) {
      String location = rest.stopWithSavepoint(jobId, targetDir, drain, timeout);
      String state = rest.awaitJobState(jobId, Set.of("FINISHED", "CANCELED"), Duration.ofMinutes(1));
      return new Result(jobId, location, true, state);
    }
    String location = rest.savepoint(jobId, targetDir, timeout);
    return new Result(jobId, location, false, rest.jobState(jobId));
  }
}
