package dev.ibq.local.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) running as a child JVM.
 *
 * <p>The child runs {@code kafka.Kafka} from the {@code kafka_2.13} jars already on this JVM's class
 * path, so nothing is downloaded: the storage directory is formatted with
 * {@code kafka.tools.StorageTool format --standalone}, then the server starts and is ready when an
 * {@link Admin} client can describe the cluster. It listens on 127.0.0.1 on two free ports (client and
 * controller), keeps its data in a temporary directory that {@link #close()} deletes, and is configured
 * for one node (replication factor and min ISR 1 for the offsets and transaction-state topics), so
 * transactions and {@code read_committed} consumers work.
 *
 * <p>Being a separate process, it behaves like a production broker towards the job (its own JVM, its
 * own crash domain) and can be killed and restarted independently of a Flink cluster.
 */
public final class KafkaBrokerProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerProcess.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private volatile Process process; // replaced by killAndRestart()
  private final Path workDir;
  private final boolean deleteOnClose;
  private final String bootstrapServers;
  private final Thread shutdownHook;
  private volatile boolean closed;

  private KafkaBrokerProcess(Process process, Path workDir, boolean deleteOnClose, String bootstrapServers) {
    this.process = process;
    this.workDir = workDir;
    this.deleteOnClose = deleteOnClose;
    this.bootstrapServers = bootstrapServers;
    this.shutdownHook = new Thread(() -> this.process.destroyForcibly(), "kafka-broker-process-reaper");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts a broker in a fresh temporary directory, deleted on {@link #close()}. */
  public static KafkaBrokerProcess start() {
    try {
      return start(Files.createTempDirectory("ibq-kafka-"), true);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create a temporary directory for the Kafka broker.", e);
    }
  }

  /**
   * Starts a broker keeping its data and log in {@code workDir}.
   *
   * @param deleteOnClose whether {@link #close()} deletes {@code workDir}
   */
  public static KafkaBrokerProcess start(Path workDir, boolean deleteOnClose) {
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(workDir);
      int clientPort = freePort();
      int controllerPort = freePort();
      Path config = writeServerProperties(workDir, clientPort, controllerPort);
      Path logConfig = writeLogConfig(workDir);
      String clusterId = randomClusterId();
      runToCompletion(
          javaCommand(logConfig, "kafka.tools.StorageTool", "format", "--standalone", "-t", clusterId, "-c", config.toString()),
          workDir.resolve("format.log"));
      ProcessBuilder pb =
          new ProcessBuilder(javaCommand(logConfig, "kafka.Kafka", config.toString()))
              .redirectErrorStream(true)
              .redirectOutput(workDir.resolve("stdout.log").toFile());
      Process p = pb.start();
      String bootstrap = "127.0.0.1:" + clientPort;
      KafkaBrokerProcess broker = new KafkaBrokerProcess(p, workDir, deleteOnClose, bootstrap);
      try {
        broker.awaitReady();
      } catch (RuntimeException e) {
        broker.close();
        throw e;
      }
      LOG.info(
          "Kafka broker (KRaft, pid {}) ready at {} after {} ms; data in {}",
          p.pid(),
          bootstrap,
          (System.nanoTime() - t0) / 1_000_000,
          workDir);
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start the Kafka broker process in " + workDir + ".", e);
    }
  }

  /** {@code 127.0.0.1:port} of the client listener. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Process id of the broker JVM. */
  public long pid() {
    return process.pid();
  }

  /**
   * Fault injection: SIGKILLs the broker JVM, waits {@code down}, and starts it again on the same ports and
   * log directory (no storage format), as a crashed production broker comes back. Returns when it is ready.
   */
  public synchronized void killAndRestart(Duration down) {
    Process old = process;
    old.destroyForcibly();
    try {
      old.waitFor(30, TimeUnit.SECONDS);
      Thread.sleep(down.toMillis());
      long t0 = System.nanoTime();
      Path logConfig = workDir.resolve("log4j2-broker.properties");
      process = new ProcessBuilder(javaCommand(logConfig, "kafka.Kafka", workDir.resolve("server.properties").toString()))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(workDir.resolve("stdout.log").toFile()))
          .start();
      awaitReady();
      LOG.info("Kafka broker killed (pid {}) and restarted (pid {}) at {}, ready after {} ms", old.pid(), process.pid(),
          bootstrapServers, (System.nanoTime() - t0) / 1_000_000);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not restart the Kafka broker process in " + workDir + ".", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while restarting the Kafka broker.", e);
    }
  }

  /** Whether the broker process is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Creates topics (idempotent: existing topics are left as they are). */
  public void createTopics(int partitions, String... topics) {
    createTopics(bootstrapServers, partitions, topics);
  }

  /** Creates topics with replication factor 1 on any cluster reachable at {@code bootstrap}; idempotent. */
  public static void createTopics(String bootstrap, int partitions, String... topics) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      List<NewTopic> newTopics = new ArrayList<>();
      for (String t : topics) {
        newTopics.add(new NewTopic(t, partitions, (short) 1));
      }
      for (var f : admin.createTopics(newTopics).values().entrySet()) {
        try {
          f.getValue().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("Could not create topic " + f.getKey() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
      awaitLeaders(admin, List.of(topics));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating topics.", e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Timed out creating topics on " + bootstrap + ".", e);
    }
  }

  /**
   * Leaves the broker running after this JVM exits (for {@code ibq cluster start}, which returns while
   * the cluster keeps running): removes the exit hook that would kill it and makes {@link #close()} a
   * no-op. Stop it later by its {@link #pid()}; its directory is kept.
   */
  public long detach() {
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException ignored) {
      // the JVM is already shutting down
    }
    return process.pid();
  }

  /**
   * Waits until every partition of the topics has a leader: producing to a topic whose leader is still
   * being elected makes the first batches fail and retry out of order.
   */
  private static void awaitLeaders(Admin admin, List<String> topics) throws InterruptedException, java.util.concurrent.TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        boolean ready =
            admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                .flatMap(d -> d.partitions().stream())
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        if (ready) {
          return;
        }
      } catch (java.util.concurrent.ExecutionException notYet) {
        // the metadata has not reached the broker's cache yet
      }
      if (System.nanoTime() > deadline) {
        throw new java.util.concurrent.TimeoutException("Topics " + topics + " have no partition leaders after 60 s.");
      }
      Thread.sleep(100);
    }
  }

  /** Stops the broker (SIGTERM, then SIGKILL after 20 s) and deletes its directory if asked to. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        LOG.warn("Kafka broker pid {} did not stop within 20 s; killing it.", process.pid());
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException ignored) {
      // the JVM is already shutting down
    }
    if (deleteOnClose) {
      deleteRecursively(workDir);
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    awaitPortOpen(deadline); // before any Kafka client exists, so that the wait does not log connection warnings
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    try (Admin admin = Admin.create(p)) {
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "The Kafka broker process exited with code " + process.exitValue() + " during start-up; see "
                  + workDir.resolve("stdout.log") + " and " + workDir.resolve("server.log") + ".");
        }
        try {
          admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
          return;
        } catch (Exception notYet) {
          Thread.sleep(200);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while waiting for the Kafka broker.", e);
    }
    throw new IllegalStateException(
        "The Kafka broker did not become ready within " + READY_TIMEOUT.toSeconds() + " s; see "
            + workDir.resolve("server.log") + ".");
  }

  private void awaitPortOpen(long deadline) {
    int port = Integer.parseInt(bootstrapServers.substring(bootstrapServers.lastIndexOf(':') + 1));
    while (System.nanoTime() < deadline && process.isAlive()) {
      try (java.net.Socket s = new java.net.Socket()) {
        s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 500);
        return;
      } catch (IOException notYet) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("Interrupted while waiting for the Kafka broker.", e);
        }
      }
    }
  }

  private static Path writeServerProperties(Path dir, int clientPort, int controllerPort) throws IOException {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", dir.resolve("data").toString());
    p.put("num.partitions", "1");
    p.put("auto.create.topics.enable", "true");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // A crashed exactly-once job leaves open transactions behind; let the broker abort them promptly.
    p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "5000");
    p.put("message.max.bytes", String.valueOf(64 * 1024 * 1024));
    Path file = dir.resolve("server.properties");
    try (Writer w = Files.newBufferedWriter(file)) {
      p.store(w, "single-node KRaft broker for IBQ (written by KafkaBrokerProcess)");
    }
    return file;
  }

  private static Path writeLogConfig(Path dir) throws IOException {
    Path file = dir.resolve("log4j2-broker.properties");
    String log = dir.resolve("server.log").toString().replace("\\", "/");
    Files.writeString(
        file,
        String.join(
            "\n",
            "status = warn",
            "appender.file.type = File",
            "appender.file.name = file",
            "appender.file.fileName = " + log,
            "appender.file.layout.type = PatternLayout",
            "appender.file.layout.pattern = %d{HH:mm:ss.SSS} %-5p %c{1} - %m%n",
            "rootLogger.level = info",
            "rootLogger.appenderRef.file.ref = file",
            "logger.kafka.name = kafka",
            "logger.kafka.level = info",
            "logger.apache.name = org.apache.kafka",
            "logger.apache.level = warn",
            ""),
        StandardCharsets.UTF_8);
    return file;
  }

  private static List<String> javaCommand(Path logConfig, String mainClass, String... args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("-Xms128m");
    cmd.add("-Xmx768m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Djava.awt.headless=true");
    cmd.add("-Dlog4j2.configurationFile=" + logConfig.toAbsolutePath());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static void runToCompletion(List<String> cmd, Path log) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("Formatting the Kafka storage took longer than 60 s; see " + log + ".");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while formatting the Kafka storage.", e);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          "Formatting the Kafka storage failed with exit code " + p.exitValue() + ": "
              + Files.readString(log).strip());
    }
  }

  /** A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (22 characters). */
  /**
   * A random cluster id in Kafka's form (URL-safe base64 of 16 random bytes). NOTE: an id that starts
   * with '-' is drawn again: the storage tool's argument parser would read it as an option and fail
   * ("argument --cluster-id/-t: expected one argument"), which made about one broker start in 64 fail.
   */
  static String randomClusterId() {
    while (true) {
      UUID u = UUID.randomUUID();
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
      b.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
      String id = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
      if (!id.startsWith("-")) {
        return id;
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("Could not delete the Kafka broker directory {}: {}", dir, e.getMessage());
    }
  }

  /** Runs a broker until the JVM is stopped (Ctrl-C); prints the bootstrap address. */
  public static void main(String[] args) throws InterruptedException {
    try (KafkaBrokerProcess broker = args.length > 0 ? start(Path.of(args[0]), false) : start()) {
      System.out.println("bootstrap.servers=" + broker.bootstrapServers());
      broker.process.waitFor();
    }
  }
}
