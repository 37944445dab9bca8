package dev.ibq.local.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bin/flink run} without the distribution's scripts: Flink's {@code CliFrontend} (flink-clients) in
 * its own JVM, on a class path of the cluster's lib/ with every ONNX Runtime jar removed (what a client
 * machine without it has), reading the cluster's {@code conf/config.yaml} through {@code FLINK_CONF_DIR}.
 */
final class FlinkRun {
  private static final Pattern SUBMITTED = Pattern.compile("Job has been submitted with JobID ([0-9a-f]{32})");

  /** What the client printed and returned. */
  record Outcome(int exitCode, String output, String jobId, List<Path> classPath) {}

  private FlinkRun() {}

  /** The client class path: lib/ without ONNX Runtime. */
  static List<Path> clientClassPath() {
    return FlinkLib.jars().stream().filter(j -> !j.getFileName().toString().startsWith("onnxruntime")).toList();
  }

  /** Runs {@code flink run ARGS...} against the cluster of {@code spec}; waits for the client to exit. */
  static Outcome run(ClusterSpec spec, Path logFile, List<String> args) throws IOException, InterruptedException {
    List<Path> cp = clientClassPath();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(ClusterSpec.JDK17_OPTIONS);
    cmd.add("-Xmx512m");
    cmd.add("-cp");
    cmd.add(String.join(java.io.File.pathSeparator, cp.stream().map(Path::toString).toList()));
    cmd.add("org.apache.flink.client.cli.CliFrontend");
    cmd.add("run");
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile());
    pb.environment().put("FLINK_CONF_DIR", spec.confDir().toString());
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("flink run did not exit within 5 minutes; see " + logFile + ".");
    }
    String out = Files.readString(logFile, StandardCharsets.UTF_8);
    Matcher m = SUBMITTED.matcher(out);
    return new Outcome(p.exitValue(), out, m.find() ? m.group(1) : null, cp);
  }
}
