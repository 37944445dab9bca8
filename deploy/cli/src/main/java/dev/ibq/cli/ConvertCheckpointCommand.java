package dev.ibq.cli;

import ai.djl.ndarray.NDManager;
import dev.ibq.training.autoregressive.ArCheckpoint;
import dev.ibq.training.tokenizer.train.TokenizerCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./ibq convert-checkpoint --in OLD --out NEW}: rewrites a checkpoint of the earlier layouts (a tokenizer
 * checkpoint directory of {@code *.weights} files, or an AR {@code ar-checkpoint.ar} file) as the checkpoint
 * directory both stages now write (safetensors under the reference keys), the tensors bit for bit.
 */
@Command(
    name = "convert-checkpoint",
    mixinStandardHelpOptions = true,
    description = "Rewrite a checkpoint of the earlier format (tokenizer *.weights directory or AR ar-checkpoint.ar) as a"
        + " safetensors checkpoint directory.")
public final class ConvertCheckpointCommand implements Callable<Integer> {

  @Option(names = "--in", required = true, paramLabel = "OLD", description = "The old checkpoint: a tokenizer step directory or an ar-checkpoint.ar file.")
  Path in;

  @Option(names = "--out", required = true, paramLabel = "NEW", description = "The checkpoint directory to write (must not exist).")
  Path out;

  @Override
  public Integer call() {
    if (Files.exists(out)) {
      throw new IllegalArgumentException(out + " exists; pass a new directory for the converted checkpoint.");
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      Path written = Files.isRegularFile(in)
          ? ArCheckpoint.convertLegacy(in, out, manager)
          : TokenizerCheckpoint.convertLegacy(in, out, manager);
      System.out.println("Converted " + in + " -> " + written);
    }
    return 0;
  }
}
