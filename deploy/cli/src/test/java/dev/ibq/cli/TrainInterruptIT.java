package dev.ibq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.training.report.MetricsLog;
import dev.ibq.training.tokenizer.train.TokenizerCheckpoint;
import dev.ibq.training.tokenizer.train.TrainingState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ./ibq train-tokenizer} in a child JVM, interrupted by a real SIGINT or SIGTERM in the middle of training
 * (steps are running, so the signal lands inside a forward or backward pass): the process must exit with 130 or
 * 143, say how to resume, leave a complete checkpoint at the step it reached and no JVM crash dump, and
 * {@code --resume} must finish the run from there.
 */
class TrainInterruptIT {

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"INT, 130", "TERM, 143"})
  void aSignalDuringTrainingCheckpointsAndExitsWithTheShellsCode(String signal, int exitCode) throws Exception {
    Path run = dir.resolve("run");
    Path output = dir.resolve("out.txt");
    List<String> command = new ArrayList<>(withDefaultSigint());
    command.addAll(javaCommand(smallRun(run)));
    Process process = startAndWaitForSteps(command, run, output);
    try {
      new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start().waitFor();
      assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("the trainer did not stop after SIG%s", signal).isTrue();
    } finally {
      process.destroyForcibly();
    }
    String out = read(output);
    assertThat(process.exitValue()).as(out).isEqualTo(exitCode);
    assertThat(out).contains("stopped by SIG" + signal).contains("--resume");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("hs_err"));
    }
    TrainingState state = TokenizerCheckpoint.readState(TokenizerCheckpoint.resolve(run));
    long reached = state.step();
    assertThat(reached).isBetween(3L, 399L);
    // At most the current step is lost: the log's last line is the checkpoint's step.
    List<java.util.Map<String, Double>> rows = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertThat(rows.get(rows.size() - 1).get("step")).isEqualTo((double) reached);

    Process resume = new ProcessBuilder(javaCommand(
        "train-tokenizer", "--resume", run.toString(), "--steps", Long.toString(reached + 2), "--threads", "1", "--no-progress",
        "--no-eval")).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("resume.txt").toFile()).start();
    assertThat(resume.waitFor(3, TimeUnit.MINUTES)).isTrue();
    assertThat(resume.exitValue()).as(read(dir.resolve("resume.txt"))).isZero();
    assertThat(TokenizerCheckpoint.readState(TokenizerCheckpoint.resolve(run)).step()).isEqualTo(reached + 2);
  }

  /**
   * A process started in the background by a script (or under nohup) has SIGINT ignored, and its children inherit
   * that: the JVM then installs no handler and Ctrl-C cannot reach it. The suite may run so (a CI runner, a script
   * with &), so the child starts through coreutils' {@code env --default-signal=INT} (8.31+), which gives it the
   * default disposition a terminal would.
   */
  static List<String> withDefaultSigint() throws IOException, InterruptedException {
    Process probe = new ProcessBuilder("env", "--default-signal=INT", "true").redirectErrorStream(true).start();
    probe.getInputStream().readAllBytes();
    return probe.waitFor() == 0 ? List.of("env", "--default-signal=INT") : List.of();
  }

  @Test
  void aRunThatCannotReceiveSigintSaysSoAndStillStopsOnSigterm() throws Exception {
    Assumptions.assumeTrue(!withDefaultSigint().isEmpty(), "needs coreutils env --ignore-signal");
    Path run = dir.resolve("run-ignored");
    Path output = dir.resolve("out-ignored.txt");
    List<String> command = new ArrayList<>(List.of("env", "--ignore-signal=INT"));
    command.addAll(javaCommand(smallRun(run)));
    Process process = startAndWaitForSteps(command, run, output);
    try {
      assertThat(read(output)).contains("SIGINT is ignored by this process").contains("kill " + process.pid());
      new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start().waitFor();
      assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("the trainer did not stop after SIGTERM").isTrue();
    } finally {
      process.destroyForcibly();
    }
    assertThat(process.exitValue()).as(read(output)).isEqualTo(143);
    assertThat(read(output)).contains("stopped by SIGTERM");
  }

  /** A tiny tokenizer run of 400 steps, logging every step. */
  private static String[] smallRun(Path run) {
    return new String[] {
      "train-tokenizer", "--preset", "fmnist-cpu", "--threads", "1", "--no-progress", "--no-eval", "--out", run.toString(),
      "--steps", "400", "--set", "architecture.ch=16", "--set", "architecture.ch_mult=[1,2]",
      "--set", "architecture.attn_resolutions=[16]", "--set", "architecture.z_channels=16", "--set", "architecture.code_dim=16",
      "--set", "architecture.codebook_size=64", "--set", "batch_size=4", "--set", "log_every=1", "--set", "checkpoint_every=0",
      "--set", "figure_every=0"
    };
  }

  /** Starts the command and returns once the trainer has logged 3 steps (so a signal lands inside training). */
  private Process startAndWaitForSteps(List<String> command, Path run, Path output) throws Exception {
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (lines(run.resolve("metrics.jsonl")) < 3) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        assertThat(process.isAlive()).as("the trainer died before training: %s", read(output)).isTrue();
        assertThat(System.nanoTime()).as("no training steps within 3 minutes: %s", read(output)).isLessThan(deadline);
      }
      Thread.sleep(100);
    }
    return process;
  }

  private static List<String> javaCommand(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx2g");
    command.add("-Dai.djl.offline=true");
    command.add("-Djava.awt.headless=true");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(IbqCli.class.getName());
    command.addAll(List.of(args));
    return command;
  }

  private static long lines(Path file) throws IOException {
    if (!Files.exists(file)) {
      return 0;
    }
    try (Stream<String> lines = Files.lines(file)) {
      return lines.count();
    }
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
  }
}
