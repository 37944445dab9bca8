package dev.ibq.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./ibq} command line: one entry point for training, export, encoding and the stream job.
 *
 * <p>Each subcommand is its own class with a {@code call()} that delegates to a {@code run(...)} method
 * returning a result record, so tests can drive the same code paths as users.
 */
@Command(
    name = "ibq",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    versionProvider = IbqCli.Version.class,
    description = {
      "IBQ streaming tokenizer: train an Index Backpropagation Quantization (IBQ) image tokenizer",
      "in Java, export it to ONNX, and tokenize a live image stream with Kafka and Flink.",
      ""
    },
    commandListHeading = "%nCommands:%n",
    footer = {
      "",
      "Start with './ibq demo' (an embedded Kafka broker and Flink mini cluster) or './ibq test'.",
      "Run './ibq COMMAND --help' for the options of one command."
    },
    subcommands = {
      DemoCommand.class,
      TrainTokenizerCommand.class,
      EvalTokenizerCommand.class,
      BenchTokenizerCommand.class,
      ExportCommand.class,
      ImportTokenizerCommand.class,
      ConvertCheckpointCommand.class,
      EncodeCommand.class,
      DecodeCommand.class,
      InspectCommand.class,
      BenchExportCommand.class,
      BenchQuantizerPeakCommand.class,
      BenchFidelityCommand.class,
      StreamCommand.class,
      ProduceCommand.class,
      ConsumeCommand.class,
      RegistryCommand.class,
      TrainArCommand.class,
      GenerateCommand.class,
      TrainClassifierCommand.class,
      BenchArCommand.class,
      ClusterCommand.class,
      SubmitCommand.class,
      CancelCommand.class,
      SavepointCommand.class,
      CommandLine.HelpCommand.class
    })
public final class IbqCli {

  private IbqCli() {}

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /**
   * Parses {@code args} into {@code command} with the CLI's parser settings (enum values in any case, so
   * {@code --provider cpu} and {@code --provider CPU} are the same), for tests and library callers.
   */
  public static <T> T populate(T command, String... args) {
    CommandLine cli = new CommandLine(command);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.parseArgs(args);
    return command;
  }

  /** Runs the command line without exiting the JVM; returns the exit code. */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new IbqCli());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          commandLine.getErr().println(commandLine.getColorScheme().errorText("error: " + ex.getMessage()));
          if (Boolean.getBoolean("ibq.debug")) {
            ex.printStackTrace(commandLine.getErr());
          } else {
            commandLine.getErr().println("(run with IBQ_JAVA_OPTS=-Dibq.debug=true for the stack trace)");
          }
          return 1;
        });
    return cli.execute(args);
  }

  /** The version printed by {@code --version}: the Maven project version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = IbqCli.class.getPackage().getImplementationVersion();
      return new String[] {"ibq " + (v == null ? "0.1.0-SNAPSHOT" : v)};
    }
  }
}
