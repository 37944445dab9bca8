package dev.ibq.local.cluster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.util.ExceptionUtils;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A small client of the Flink JobManager's REST API (the one {@code flink run} and the web UI use):
 * upload and run a job jar, follow, cancel and stop jobs with a savepoint.
 *
 * <p>Job state, cancel and savepoints go through Flink's own {@link RestClusterClient} (what {@code flink
 * cancel}/{@code flink stop}/{@code flink savepoint} use), one per call, closed after it. The jar upload and run
 * ({@code /jars/...}, served by the web submission handlers, which RestClusterClient does not cover) and the
 * read-only views (overview, vertices, checkpoint counts) stay plain JDK {@link HttpClient} calls, JSON with the
 * Jackson that Flink ships (shaded), so it needs nothing beyond Flink's own jars.
 */
public final class FlinkRestClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final HttpClient http;

  /** @param baseUrl e.g. {@code http://127.0.0.1:8081} */
  public FlinkRestClient(String baseUrl) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  public String baseUrl() {
    return baseUrl;
  }

  /** The cluster overview: TaskManagers, slots and jobs by state. */
  public record Overview(int taskManagers, int slotsTotal, int slotsAvailable, int jobsRunning, String flinkVersion) {}

  /** One job as listed by {@code /jobs/overview}. */
  public record JobSummary(String id, String name, String state) {}

  /** {@code GET /overview}. */
  public Overview overview() {
    JsonNode n = get("/overview");
    return new Overview(
        n.path("taskmanagers").asInt(), n.path("slots-total").asInt(), n.path("slots-available").asInt(),
        n.path("jobs-running").asInt(), n.path("flink-version").asText());
  }

  /** Whether the REST endpoint answers. */
  public boolean isUp() {
    try {
      overview();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** {@code GET /jobs/overview}. */
  public List<JobSummary> jobs() {
    List<JobSummary> out = new ArrayList<>();
    for (JsonNode j : get("/jobs/overview").path("jobs")) {
      out.add(new JobSummary(j.path("jid").asText(), j.path("name").asText(), j.path("state").asText()));
    }
    return out;
  }

  /** The job's state (CREATED, RUNNING, RESTARTING, FINISHED, CANCELED, FAILED, ...). */
  public String jobState(String jobId) {
    return withClusterClient("read the state of job " + jobId, Duration.ofSeconds(30),
        c -> c.getJobStatus(JobID.fromHexString(jobId))).name();
  }

  /** The job's run time in ms so far (Flink's {@code duration}: from submission to now or to its end). */
  public long jobDurationMillis(String jobId) {
    return get("/jobs/" + jobId).path("duration").asLong();
  }

  /** Completed checkpoints of the job so far. */
  public int completedCheckpoints(String jobId) {
    return get("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asInt();
  }

  /**
   * Failures the job went through so far (each one triggered a restart or ended the job): the entries of
   * its exception history. Unlike the {@code numRestarts} metric, this is not a cached sample.
   */
  public int failures(String jobId) {
    return get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries").size();
  }

  /** One vertex of a job graph as the REST API reports it. */
  public record Vertex(String name, int parallelism, int maxParallelism) {}

  /** {@code GET /jobs/{id}}: the job's vertices with their parallelism and max parallelism. */
  public List<Vertex> vertices(String jobId) {
    List<Vertex> out = new ArrayList<>();
    for (JsonNode v : get("/jobs/" + jobId).path("vertices")) {
      out.add(new Vertex(v.path("name").asText(), v.path("parallelism").asInt(), v.path("maxParallelism").asInt()));
    }
    return out;
  }

  /** {@code GET /jobs/{id}/checkpoints/config}: the interval the job checkpoints at, in ms. */
  public long checkpointIntervalMillis(String jobId) {
    return get("/jobs/" + jobId + "/checkpoints/config").path("interval").asLong();
  }

  /** {@code POST /jars/upload}: returns the jar id the cluster gave the uploaded jar. */
  public String uploadJar(Path jar) {
    try {
      String boundary = "ibq-" + UUID.randomUUID();
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.write(
          ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                  + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
              .getBytes(StandardCharsets.UTF_8));
      body.write(Files.readAllBytes(jar));
      body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
      HttpRequest req =
          HttpRequest.newBuilder(URI.create(baseUrl + "/jars/upload"))
              .timeout(Duration.ofMinutes(2))
              .header("Content-Type", "multipart/form-data; boundary=" + boundary)
              .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
              .build();
      JsonNode n = send(req, "upload " + jar.getFileName());
      String file = n.path("filename").asText();
      if (!"success".equals(n.path("status").asText()) || file.isEmpty()) {
        throw new IllegalStateException("Uploading " + jar + " to " + baseUrl + " did not succeed: " + n);
      }
      return Path.of(file).getFileName().toString();
    } catch (IOException e) {
      throw new IllegalStateException("Could not read the job jar " + jar + " for upload: " + e.getMessage(), e);
    }
  }

  /**
   * {@code POST /jars/{jarId}/run}: starts the job and returns its id.
   *
   * @param entryClass main class; null uses the jar manifest's
   * @param args program arguments
   * @param parallelism default parallelism; null keeps the cluster's
   * @param savepointPath a savepoint (or retained checkpoint) to restore; null starts fresh
   */
  public String runJar(String jarId, String entryClass, List<String> args, Integer parallelism, String savepointPath) {
    ObjectNode body = JSON.createObjectNode();
    if (entryClass != null) {
      body.put("entryClass", entryClass);
    }
    body.putArray("programArgsList").addAll(args.stream().map(a -> JSON.getNodeFactory().textNode(a)).toList());
    if (parallelism != null) {
      body.put("parallelism", parallelism);
    }
    if (savepointPath != null) {
      body.put("savepointPath", savepointPath);
      body.put("allowNonRestoredState", false);
    }
    JsonNode n = post("/jars/" + jarId + "/run", body, Duration.ofMinutes(3));
    String jobId = n.path("jobid").asText();
    if (jobId.isEmpty()) {
      throw new IllegalStateException("Running jar " + jarId + " on " + baseUrl + " returned no job id: " + n);
    }
    return jobId;
  }

  /** {@code DELETE /jars/{jarId}}. */
  public void deleteJar(String jarId) {
    send(HttpRequest.newBuilder(URI.create(baseUrl + "/jars/" + jarId)).DELETE().timeout(Duration.ofSeconds(30)).build(), "delete jar " + jarId);
  }

  /** Cancels the job; returns once the cluster accepted the request (the job goes to CANCELED). */
  public void cancel(String jobId) {
    withClusterClient("cancel job " + jobId, Duration.ofSeconds(30), c -> c.cancel(JobID.fromHexString(jobId)));
  }

  /**
   * Stop-with-savepoint ({@code POST /jobs/{id}/stop}): the sources stop, a final savepoint is taken and
   * its Kafka transactions committed, and the job ends. Waits for the savepoint and returns its location.
   *
   * @param targetDirectory where the savepoint goes; null uses the cluster's savepoint directory
   * @param drain whether to flush all pending work first (ends the job for good; see deploy/README.md)
   */
  public String stopWithSavepoint(String jobId, String targetDirectory, boolean drain, Duration timeout) {
    return withClusterClient("stop job " + jobId + " with a savepoint", timeout,
        c -> c.stopWithSavepoint(JobID.fromHexString(jobId), drain, targetDirectory, SavepointFormatType.DEFAULT));
  }

  /** A savepoint while the job keeps running; returns its location. */
  public String savepoint(String jobId, String targetDirectory, Duration timeout) {
    return withClusterClient("take a savepoint of job " + jobId, timeout,
        c -> c.triggerSavepoint(JobID.fromHexString(jobId), targetDirectory, SavepointFormatType.DEFAULT));
  }

  /**
   * Runs one call on a {@link RestClusterClient} for this cluster and waits for its result; every failure is an
   * {@link IllegalStateException} that names the cluster, what was asked and Flink's reason.
   */
  private <R> R withClusterClient(
      String what, Duration timeout, Function<RestClusterClient<StandaloneClusterId>, CompletableFuture<R>> call) {
    try (RestClusterClient<StandaloneClusterId> client = clusterClient(what)) {
      return await(call.apply(client), what, timeout);
    }
  }

  private RestClusterClient<StandaloneClusterId> clusterClient(String what) {
    URI uri = URI.create(baseUrl);
    Configuration config = new Configuration();
    config.set(RestOptions.ADDRESS, uri.getHost());
    config.set(RestOptions.PORT, uri.getPort() < 0 ? 8081 : uri.getPort());
    // NOTE: fail within seconds when the cluster is not there (the default retries 20 times, 3 s apart).
    config.set(RestOptions.RETRY_MAX_ATTEMPTS, 1);
    config.set(RestOptions.RETRY_DELAY, Duration.ofMillis(500));
    config.set(RestOptions.CONNECTION_TIMEOUT, Duration.ofSeconds(5));
    try {
      return new RestClusterClient<>(config, StandaloneClusterId.getInstance());
    } catch (Exception e) {
      throw new IllegalStateException("Could not make a client of the Flink cluster at " + baseUrl + " to " + what + ": " + e.getMessage(), e);
    }
  }

  private <R> R await(CompletableFuture<R> future, String what, Duration timeout) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = ExceptionUtils.stripExecutionException(e);
      throw new IllegalStateException("The Flink cluster at " + baseUrl + " could not " + what + ": " + firstLine(cause) + ".", cause);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new IllegalStateException("The Flink cluster at " + baseUrl + " did not " + what + " within " + timeout + ".", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while waiting to " + what + ".", e);
    }
  }

  /** The innermost cause's class and first line (Flink wraps a refused connection in retry and completion exceptions). */
  private static String firstLine(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String line = String.valueOf(root.getMessage()).lines().findFirst().orElse("").trim().replaceAll("\\.+$", "");
    return root.getClass().getSimpleName() + ": " + line;
  }

  /** Waits until the job is in one of {@code states}; fails early when it reaches a terminal state not asked for. */
  public String awaitJobState(String jobId, Set<String> states, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String state = "";
    String what = "read the state of job " + jobId;
    try (RestClusterClient<StandaloneClusterId> client = clusterClient(what)) {
      while (System.nanoTime() < deadline) {
        state = await(client.getJobStatus(JobID.fromHexString(jobId)), what, Duration.ofSeconds(30)).name();
        if (states.contains(state)) {
          return state;
        }
        if (Set.of("FAILED", "CANCELED", "FINISHED").contains(state)) {
          throw new IllegalStateException("Job " + jobId + " is " + state + "; expected one of " + states + ".");
        }
        sleep(200);
      }
    }
    throw new IllegalStateException(
        "Job " + jobId + " did not reach " + states + " within " + timeout + "; it is " + state + ".");
  }

  /** Waits until at least {@code n} TaskManagers are registered. */
  public void awaitTaskManagers(int n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (overview().taskManagers() >= n) {
          return;
        }
      } catch (RuntimeException notYet) {
        // REST not up yet
      }
      sleep(200);
    }
    throw new IllegalStateException("Fewer than " + n + " TaskManagers registered at " + baseUrl + " within " + timeout + ".");
  }

  private JsonNode get(String path) {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET().timeout(Duration.ofSeconds(30)).build(), "GET " + path);
  }

  private JsonNode post(String path, JsonNode body, Duration timeout) {
    try {
      return send(
          HttpRequest.newBuilder(URI.create(baseUrl + path))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
              .timeout(timeout)
              .build(),
          "POST " + path);
    } catch (IOException e) {
      throw new IllegalStateException("Could not write the request body of POST " + path + ".", e);
    }
  }

  private JsonNode send(HttpRequest req, String what) {
    HttpResponse<String> res;
    try {
      res = http.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("The Flink REST endpoint " + baseUrl + " did not answer (" + what + "): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted during " + what + ".", e);
    }
    JsonNode n;
    try {
      n = res.body() == null || res.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(res.body());
    } catch (IOException e) {
      n = JSON.createObjectNode().put("body", res.body());
    }
    if (res.statusCode() >= 300) {
      throw new IllegalStateException(
          "Flink REST " + what + " at " + baseUrl + " failed with HTTP " + res.statusCode() + ": " + firstError(n));
    }
    return n;
  }

  private static String firstError(JsonNode n) {
    JsonNode errors = n.path("errors");
    if (errors.isArray() && errors.size() > 0) {
      List<String> lines = new ArrayList<>();
      for (JsonNode e : errors) {
        lines.add(e.asText());
      }
      String all = String.join(" | ", lines);
      return all.length() > 4000 ? all.substring(0, 4000) + " ..." : all;
    }
    return n.toString();
  }

  /** The program arguments {@code --key value} for job settings, in map order. */
  public static List<String> programArgs(Map<String, String> settings) {
    List<String> args = new ArrayList<>();
    for (Map.Entry<String, String> e : new LinkedHashMap<>(settings).entrySet()) {
      args.add("--" + e.getKey());
      args.add(e.getValue());
    }
    return args;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while waiting for the Flink cluster.", e);
    }
  }
}
