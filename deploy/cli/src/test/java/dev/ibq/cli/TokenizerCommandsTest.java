package dev.ibq.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ibq.training.tokenizer.train.TokenizerTrainingConfig;
import dev.ibq.training.tokenizer.train.TrainingResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The train-tokenizer and eval-tokenizer commands, parsed as a user would type them. */
class TokenizerCommandsTest {

  @TempDir Path dir;

  static final List<String> TINY = List.of(
      "--set", "architecture.ch=16", "--set", "architecture.ch_mult=[1,2]", "--set", "architecture.attn_resolutions=[16]",
      "--set", "architecture.z_channels=16", "--set", "architecture.code_dim=16", "--set", "architecture.codebook_size=32",
      "--set", "batch_size=2", "--set", "eval_images=8", "--set", "grid_images=4", "--set", "losses.discriminator_channels=8");

  @Test
  void trainThenEvaluateThroughTheCommands() throws Exception {
    Path yaml = dir.resolve("override.yaml");
    Files.writeString(yaml, "seed: 11\nlosses:\n  entropy: 0.1\n");
    List<String> args = new ArrayList<>(List.of(
        "--preset", "fmnist-cpu", "--config", yaml.toString(), "--steps", "1", "--out", dir.resolve("run").toString(),
        "--device", "cpu", "--threads", "1", "--no-progress"));
    args.addAll(TINY);
    TrainTokenizerCommand train = new TrainTokenizerCommand();
    new CommandLine(train).parseArgs(args.toArray(String[]::new));
    TrainingResult result = train.run();
    TokenizerTrainingConfig config = result.config();
    assertThat(config.seed()).isEqualTo(11);
    assertThat(config.losses().entropy()).isEqualTo(0.1);
    assertThat(config.architecture().codebookSize()).isEqualTo(32);
    assertThat(config.steps()).isEqualTo(1);
    assertThat(result.lastCheckpoint()).isEqualTo(dir.resolve("run/checkpoints/step-1"));

    EvalTokenizerCommand eval = new EvalTokenizerCommand();
    new CommandLine(eval).parseArgs("--checkpoint", dir.resolve("run").toString(), "--limit", "8", "--grid", "4", "--device", "cpu");
    EvalTokenizerCommand.Result r = eval.run();
    assertThat(r.evaluation().images()).isEqualTo(8);
    assertThat(r.evaluation().tokens()).isEqualTo(8L * 16 * 16);
    assertThat(r.json()).isEqualTo(dir.resolve("run/evaluation-step-1.json"));
    assertThat(Files.readString(r.json())).contains("\"utilization\"", "\"psnr_db\"", "\"ssim\"");
    assertThat(dir.resolve("run/reconstructions-step-1.png")).isNotEmptyFile();

    TrainTokenizerCommand resumeWithSet = new TrainTokenizerCommand();
    new CommandLine(resumeWithSet).parseArgs("--resume", dir.resolve("run").toString(), "--set", "seed=1");
    assertThatThrownBy(resumeWithSet::run).hasMessageContaining("--resume continues with the checkpoint's own config");
  }

  @Test
  void unknownPresetFailsListingThePresets() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    int code;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = IbqCli.execute("train-tokenizer", "--preset", "nope", "--no-progress");
    } finally {
      System.setErr(saved);
    }
    assertThat(code).isNotZero();
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unknown tokenizer preset 'nope'", "fmnist-cpu, fmnist-cpu-vq, fmnist-sharp, rgb-cpu, imagenet-paper");
  }

  @Test
  void helpDescribesTheOptionsAndTheCommandsAreRegistered() {
    String help = new CommandLine(new TrainTokenizerCommand()).getUsageMessage();
    assertThat(help).contains("--preset", "--config", "--set", "--steps", "--out", "--resume", "--device", "fmnist-cpu-vq");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream saved = System.out;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      IbqCli.execute("--help");
    } finally {
      System.setOut(saved);
    }
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("train-tokenizer", "eval-tokenizer", "bench-tokenizer");
  }
}
