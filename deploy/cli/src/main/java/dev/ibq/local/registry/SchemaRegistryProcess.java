package dev.ibq.local.registry;

import dev.ibq.model.ProjectRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Schema Registry with the Confluent REST API, running as a child JVM: Apicurio Registry (a Quarkus
 * application from Maven Central, {@code io.apicurio:apicurio-registry-app:VERSION:tar.gz:all}, unpacked by
 * {@code mvn package} into {@code deploy/cli/target/apicurio-registry}),
 * with in-memory storage, on two free ports (HTTP and Quarkus' management port). Its Confluent-compatible API
 * is {@link #url()}, e.g. {@code http://127.0.0.1:40123/apis/ccompat/v7}, which Confluent clients take as
 * {@code schema.registry.url}.
 *
 * <p>The pinned Apicurio 2.6 runs on Java 17 (its 3.x releases need Java 21, which Debian 12 does not package); the
 * child JVM is the first found of version {@value #MIN_JAVA} or newer of: {@value #JAVA_ENV} (a {@code java} executable or a JDK home), {@code JAVA_HOME}, this JVM, the JDKs
 * under {@code /usr/lib/jvm}. {@link #close()} stops the process and its children and deletes its directory.
 */
public final class SchemaRegistryProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryProcess.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  /** Environment variable naming the Java to run the registry with: a {@code java} binary or a JDK home. */
  public static final String JAVA_ENV = "IBQ_REGISTRY_JAVA";

  /** System property / environment variable overriding where the unpacked registry is. */
  public static final String HOME_PROPERTY = "ibq.registry.home";

  static final int MIN_JAVA = 17;
  static final String CCOMPAT_PATH = "/apis/ccompat/v7";

  private final Process process;
  private final Path workDir;
  private final String url;
  private final Thread shutdownHook;
  private volatile boolean closed;

  private SchemaRegistryProcess(Process process, Path workDir, String url) {
    this.process = process;
    this.workDir = workDir;
    this.url = url;
    this.shutdownHook = new Thread(() -> destroyTree(process, true), "schema-registry-process-reaper");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts the registry found by {@link #findHome()} in a fresh temporary directory. */
  public static SchemaRegistryProcess start() {
    try {
      return start(findHome(), Files.createTempDirectory("ibq-registry-"));
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create a temporary directory for the Schema Registry.", e);
    }
  }

  /**
   * Starts the registry unpacked in {@code home} (holding Apicurio 2's {@code *-runner.jar} or Apicurio 3's
   * {@code quarkus-run.jar}), logging to {@code workDir/registry.log}; returns when its Confluent API answers.
   */
  public static SchemaRegistryProcess start(Path home, Path workDir) {
    long t0 = System.nanoTime();
    Path jar = appJar(home);
    if (jar == null) {
      throw new IllegalStateException("The Schema Registry directory " + home + " holds neither quarkus-run.jar nor a"
          + " *-runner.jar; expected Apicurio Registry's unpacked app (mvn -pl deploy/cli -am package unpacks it into"
          + " target/apicurio-registry).");
    }
    Path java = findJava();
    try {
      Files.createDirectories(workDir);
      int httpPort = freePort();
      int managementPort = freePort();
      List<String> cmd = new ArrayList<>();
      cmd.add(java.toString());
      cmd.add("-Xmx384m");
      cmd.add("-XX:+UseSerialGC");
      cmd.add("-XX:TieredStopAtLevel=1"); // starts faster, and a test registry does little work
      cmd.add("-Dquarkus.http.host=127.0.0.1");
      cmd.add("-Dquarkus.http.port=" + httpPort);
      cmd.add("-Dquarkus.management.host=127.0.0.1");
      cmd.add("-Dquarkus.management.port=" + managementPort);
      cmd.add("-Djava.io.tmpdir=" + workDir.toAbsolutePath());
      cmd.add("-jar");
      cmd.add(jar.toAbsolutePath().toString());
      Path log = workDir.resolve("registry.log");
      Process p = new ProcessBuilder(cmd)
          .directory(workDir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      String base = "http://127.0.0.1:" + httpPort + CCOMPAT_PATH;
      SchemaRegistryProcess registry = new SchemaRegistryProcess(p, workDir, base);
      try {
        registry.awaitReady(log);
      } catch (RuntimeException e) {
        registry.close(false);
        throw e;
      }
      LOG.info("Schema Registry (Apicurio, pid {}, {}) ready at {} after {} ms; log {}", p.pid(), java, base,
          (System.nanoTime() - t0) / 1_000_000, log);
      return registry;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start the Schema Registry process with " + java + ".", e);
    }
  }

  /** The application jar in an unpacked registry: Apicurio 3's quarkus-run.jar, Apicurio 2's *-runner.jar, or null. */
  static Path appJar(Path home) {
    if (Files.isRegularFile(home.resolve("quarkus-run.jar"))) {
      return home.resolve("quarkus-run.jar");
    }
    try (var files = Files.newDirectoryStream(home, "*-runner.jar")) {
      for (Path f : files) {
        return f;
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }

  /** The Confluent-compatible API's base URL ({@code schema.registry.url}). */
  public String url() {
    return url;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The log of the registry process. */
  public Path log() {
    return workDir.resolve("registry.log");
  }

  /**
   * The unpacked Apicurio Registry: {@value #HOME_PROPERTY} (system property, or {@code IBQ_REGISTRY_HOME}), else
   * {@code deploy/cli/target/apicurio-registry} under the repository root.
   */
  public static Path findHome() {
    String configured = System.getProperty(HOME_PROPERTY, System.getenv("IBQ_REGISTRY_HOME"));
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    Path home = ProjectRoot.find().resolve("deploy").resolve("cli").resolve("target").resolve("apicurio-registry");
    if (appJar(home) == null) {
      throw new IllegalStateException("The Schema Registry is not unpacked at " + home + "; run 'mvn -pl deploy/cli -am"
          + " package -DskipTests' (it unpacks io.apicurio:apicurio-registry-app), or set -D" + HOME_PROPERTY + ".");
    }
    return home;
  }

  /**
   * A {@code java} of version {@value #MIN_JAVA} or newer.
   *
   * @throws IllegalStateException naming every candidate tried and its version
   */
  public static Path findJava() {
    Set<Path> candidates = new LinkedHashSet<>();
    String configured = System.getenv(JAVA_ENV);
    if (configured != null && !configured.isBlank()) {
      candidates.add(javaIn(Path.of(configured)));
    }
    String javaHome = System.getenv("JAVA_HOME");
    if (javaHome != null && !javaHome.isBlank()) {
      candidates.add(javaIn(Path.of(javaHome)));
    }
    candidates.add(javaIn(Path.of(System.getProperty("java.home"))));
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      List<Path> dirs = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(jvms)) {
        ds.forEach(dirs::add);
      } catch (IOException e) {
        // fall through with what we have
      }
      dirs.sort(null);
      dirs.forEach(d -> candidates.add(javaIn(d)));
    }
    List<String> tried = new ArrayList<>();
    for (Path java : candidates) {
      if (!Files.isExecutable(java)) {
        tried.add(java + " (missing)");
        continue;
      }
      int version = versionOf(java);
      if (version >= MIN_JAVA) {
        return java;
      }
      tried.add(java + " (" + (version < 0 ? "version unknown" : "Java " + version) + ")");
    }
    throw new IllegalStateException("The Schema Registry (Apicurio Registry) needs Java " + MIN_JAVA + " or newer, and"
        + " none was found; tried " + String.join(", ", tried) + ". Install one (e.g. apt-get install openjdk-17-jre-headless)"
        + " or set " + JAVA_ENV + " to its java or its home.");
  }

  private static Path javaIn(Path p) {
    return Files.isDirectory(p) ? p.resolve("bin").resolve("java") : p;
  }

  private static final Pattern VERSION = Pattern.compile("version \"(\\d+)");

  /** The feature version {@code java -version} prints, or -1. */
  static int versionOf(Path java) {
    try {
      Process p = new ProcessBuilder(java.toString(), "-version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      Matcher m = VERSION.matcher(out);
      return m.find() ? Integer.parseInt(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private void awaitReady(Path log) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest probe = HttpRequest.newBuilder(URI.create(url + "/subjects")).timeout(Duration.ofSeconds(5)).GET().build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("The Schema Registry process exited with code " + process.exitValue()
            + " before it was ready; see " + log + ":\n" + tail(log));
      }
      try {
        HttpResponse<String> r = http.send(probe, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for the Schema Registry.", e);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("The Schema Registry did not answer " + url + "/subjects within "
            + READY_TIMEOUT.toSeconds() + " s; see " + log + ":\n" + tail(log));
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for the Schema Registry.", e);
      }
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException | RuntimeException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  /** Stops the registry (SIGTERM to it and its children, SIGKILL after 15 s) and deletes its directory. */
  @Override
  public void close() {
    close(true);
  }

  private void close(boolean deleteDir) {
    if (closed) {
      return;
    }
    closed = true;
    destroyTree(process, false);
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException ignored) {
      // the JVM is already shutting down
    }
    if (deleteDir) {
      deleteRecursively(workDir);
    }
  }

  private static void destroyTree(Process process, boolean forcibly) {
    List<ProcessHandle> children = process.descendants().toList();
    if (forcibly) {
      children.forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      return;
    }
    children.forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        LOG.warn("Schema Registry pid {} did not stop within 15 s; killing it.", process.pid());
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }
}
