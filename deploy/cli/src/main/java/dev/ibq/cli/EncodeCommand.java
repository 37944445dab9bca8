package dev.ibq.cli;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.source.FashionMnistSource;
import dev.ibq.image.source.FileListSource;
import dev.ibq.image.source.FolderSource;
import dev.ibq.image.source.ImageSource;
import dev.ibq.image.source.ImageSources;
import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.model.TokenizerMetadata;
import dev.ibq.training.export.TokenFileEncoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./ibq encode}: images (an {@link ImageSources} name: a Fashion-MNIST split, a folder, or files) -> an Avro container file of
 * TokenRecords, with the exported ONNX encoder. Batched, with a progress bar, and resumable: rerun the same
 * command after an interruption and it continues where the last checkpoint left off.
 */
@Command(
    name = "encode",
    mixinStandardHelpOptions = true,
    description = {
      "Tokenize images with an exported encoder into an Avro file of TokenRecords.",
      "Resumable: after an interruption, rerun the same command; each image is written exactly once."
    })
public final class EncodeCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "DIR_OR_FILE", description = "Export directory or encoder.onnx.")
  Path model;

  static final class Source {
    @Option(names = "--source", paramLabel = "NAME",
        description = "An image source by name: fashion-mnist:test, fashion-mnist:train, folder:PATH or files:A,B,...")
    String name;

    @Option(names = "--idx", paramLabel = "test|train", description = "A Fashion-MNIST split (= --source fashion-mnist:SPLIT).")
    String idx;

    @Option(names = "--folder", paramLabel = "DIR",
        description = "Every file under DIR, recursive, sorted by relative path, labelled by class sub-folder (= --source folder:DIR).")
    Path folder;

    @Option(names = "--files", arity = "1..*", paramLabel = "FILE", description = "These image files, in this order (= --source files:...).")
    List<Path> files;

    /** The image source the options name, from the one registry. */
    ImageSource open() throws IOException {
      if (name != null) {
        return ImageSources.open(name);
      }
      if (idx != null) {
        return ImageSources.open(FashionMnistSource.KIND + ":" + idx);
      }
      if (folder != null) {
        return FolderSource.open(folder);
      }
      return new FileListSource(files);
    }
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--out", required = true, paramLabel = "tokens.avro", description = "Output Avro container file.")
  Path out;

  @Option(names = "--batch-size", defaultValue = "32", description = "Images per ONNX Runtime call (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--limit", defaultValue = "0", description = "Encode only the first N inputs (0 = all).")
  int limit;

  @Option(names = "--provider", defaultValue = "AUTO", description = "AUTO, CPU or CUDA (default ${DEFAULT-VALUE}).")
  ExecutionProvider provider;

  @Option(names = "--onnx-threads", defaultValue = "0", description = "ONNX Runtime intra-op threads (0 = one per core).")
  int threads;

  @Option(names = "--overwrite", description = "Replace a finished output file.")
  boolean overwrite;

  @Option(names = "--max-encoded-bytes", paramLabel = "BYTES",
      description = "Larger image files are skipped unread (default ${DEFAULT-VALUE}, as the stream job's limits.max-message-bytes).")
  long maxEncodedBytes = DecodeLimits.defaults().maxEncodedBytes();

  @Option(names = "--max-pixels", description = "Images with more pixels (from the header) are skipped (default ${DEFAULT-VALUE}).")
  long maxPixels = DecodeLimits.defaults().maxPixels();

  @Option(names = "--max-decoded-bytes", paramLabel = "BYTES",
      description = "Images needing more decode memory (pixels x channels x bit depth) are skipped (default ${DEFAULT-VALUE}).")
  long maxDecodedBytes = DecodeLimits.defaults().maxDecodedBytes();

  @Option(names = "--decode-timeout-ms", description = "Images whose decode takes longer are skipped (default ${DEFAULT-VALUE}).")
  long decodeTimeoutMs = DecodeLimits.defaults().decodeTimeoutMillis();

  @Option(names = "--min-side", description = "Images with a shorter side are skipped (default ${DEFAULT-VALUE}).")
  int minSide = DecodeLimits.defaults().minWidth();

  @Option(names = "--checkpoint-seconds", paramLabel = "S",
      description = "Fsync the output and replace its .progress checkpoint at most every S seconds (0 = after every batch; "
          + "default ${DEFAULT-VALUE}). A rerun after a crash redoes at most S seconds of work.")
  double checkpointSeconds = TokenFileEncoder.DEFAULT_CHECKPOINT_SECONDS;

  @Option(
      names = "--stop-after-batches",
      hidden = true,
      defaultValue = "0",
      description = "Test hook: simulate a crash after N batches.")
  int stopAfterBatches;

  @Override
  public Integer call() throws IOException {
    TokenFileEncoder.Result r = run(this, true);
    System.out.printf(
        Locale.ROOT,
        "%s %d records to %s (%d rejected, resumed from %d) in %.1f s, %.1f images/s; tokenizer %s%n",
        r.interrupted() ? "INTERRUPTED after" : "wrote",
        r.written(),
        r.output(),
        r.rejected(),
        r.resumedFrom(),
        r.seconds(),
        r.imagesPerSecond(),
        r.tokenizerId());
    return r.interrupted() ? 3 : 0;
  }

  /** The decode limits of the options: the same {@link DecodeLimits} (and defaults) as the stream job's. */
  DecodeLimits limits() {
    try {
      return DecodeLimits.defaults().withMaxEncodedBytes(maxEncodedBytes).withMaxPixels(maxPixels)
          .withMaxDecodedBytes(maxDecodedBytes).withDecodeTimeoutMillis(decodeTimeoutMs).withMinSize(minSide, minSide);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), e.getMessage());
    }
  }

  /** Runs the encode described by the parsed options. */
  public static TokenFileEncoder.Result run(EncodeCommand c, boolean progress) throws IOException {
    ImageSource inputs = c.source.open();
    DecodeLimits limits = c.limits();
    Path encoder = TokenizerMetadata.resolve(c.model, TokenizerMetadata.ROLE_ENCODER);
    try (OnnxTokenizer tokenizer =
        OnnxTokenizer.open(encoder, new OnnxTokenizer.Options(c.provider, c.threads, 0))) {
      return TokenFileEncoder.encode(
          tokenizer,
          inputs,
          c.out,
          new TokenFileEncoder.Options(
              c.batch, c.limit, c.stopAfterBatches, c.overwrite, progress, limits, c.checkpointSeconds));
    }
  }
}
