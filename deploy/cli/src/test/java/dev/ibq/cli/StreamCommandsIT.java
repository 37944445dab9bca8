package dev.ibq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ibq.schemas.ErrorCode;
import dev.ibq.stream.config.JobConfig;
import dev.ibq.local.kafka.KafkaBrokerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ./ibq produce}, {@code stream --bounded} and {@code consume} against a real broker process. */
class StreamCommandsIT {
  private static final Path MODEL = dev.ibq.model.ProjectRoot.model("fmnist-small").resolve("encoder.onnx");

  @Test
  void produceStreamAndConsumeFashionMnistAndABadFile(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("notes.txt"), "this is not an image");
    try (KafkaBrokerProcess broker = KafkaBrokerProcess.start()) {
      String bootstrap = broker.bootstrapServers();
      broker.createTopics(1, "cli.images", "cli.tokens", "cli.dead-letters");

      ProduceCommand produce = new ProduceCommand();
      new CommandLine(produce).parseArgs("--bootstrap", bootstrap, "--topic", "cli.images", "--idx", "test", "--count", "40",
          "--folder", dir.toString());
      ProduceCommand.Result produced = ProduceCommand.run(bootstrap, "cli.images", produce.records(), 0, Map.of());
      assertThat(produced.records()).isEqualTo(41);

      StreamCommand stream = new StreamCommand();
      new CommandLine(stream).parseArgs("--bootstrap", bootstrap, "--model", MODEL.toString(), "--input-topic", "cli.images",
          "--output-topic", "cli.tokens", "--dead-letter-topic", "cli.dead-letters", "--bounded", "--provider", "cpu",
          "--checkpoint-interval-ms", "500", "--set", "starting.offsets=earliest", "--batch-size", "8");
      JobConfig config = stream.settings();
      assertThat(config.batchSize()).isEqualTo(8);
      StreamCommand.Result ran = StreamCommand.run(config);
      assertThat(ran.netRuntimeMillis()).isPositive();

      ConsumeCommand.Result tokens =
          ConsumeCommand.run(bootstrap, "cli.tokens", ConsumeCommand.Kind.TOKENS, 3, Duration.ofSeconds(60), new Properties());
      assertThat(tokens.records()).isEqualTo(40);
      assertThat(tokens.distinctImageIds()).isEqualTo(40);
      assertThat(tokens.tokenizerIds()).hasSize(1);
      assertThat(tokens.codebookUtilization()).isPositive();

      ConsumeCommand.Result dead =
          ConsumeCommand.run(bootstrap, "cli.dead-letters", ConsumeCommand.Kind.DEAD_LETTERS, 3, Duration.ofSeconds(60), new Properties());
      assertThat(dead.deadLettersByCode()).isEqualTo(Map.of(ErrorCode.UNSUPPORTED_FORMAT, 1L));
    }
  }
}
