package dev.ibq.cli;

import dev.ibq.model.ExecutionProvider;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.runtime.OnnxTokenizer;
import dev.ibq.model.TokenizerMetadata;
import dev.ibq.training.export.TokenFileDecoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./ibq decode}: an Avro file of TokenRecords -> one PNG per record and/or a grid PNG. */
@Command(
    name = "decode",
    mixinStandardHelpOptions = true,
    description = "Turn TokenRecords back into images with an exported decoder: a PNG per record and/or a grid.")
public final class DecodeCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "DIR_OR_FILE", description = "Export directory or decoder.onnx.")
  Path model;

  @Option(names = "--tokens", required = true, paramLabel = "tokens.avro", description = "Avro container file of TokenRecords.")
  Path tokens;

  @Option(names = "--out", paramLabel = "DIR", description = "Directory for one PNG per record.")
  Path out;

  @Option(names = "--grid", paramLabel = "grid.png", description = "Also write a grid of the first --grid-limit images.")
  Path grid;

  @Option(names = "--grid-limit", defaultValue = "64", description = "Images in the grid (default ${DEFAULT-VALUE}).")
  int gridLimit;

  @Option(names = "--batch-size", defaultValue = "32", description = "Token grids per ONNX Runtime call (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--limit", defaultValue = "0", description = "Decode only the first N records (0 = all).")
  int limit;

  @Option(names = "--provider", defaultValue = "AUTO", description = "AUTO, CPU or CUDA (default ${DEFAULT-VALUE}).")
  ExecutionProvider provider;

  @Override
  public Integer call() throws IOException {
    TokenFileDecoder.Result r = run(model, tokens, out, grid, gridLimit, batch, limit, provider);
    System.out.println(
        "decoded " + r.records() + " records: " + r.pngs().size() + " PNGs" + (out == null ? "" : " in " + out)
            + (r.grid() == null ? "" : ", grid " + r.grid()));
    return 0;
  }

  public static TokenFileDecoder.Result run(
      Path model, Path tokens, Path out, Path grid, int gridLimit, int batch, int limit, ExecutionProvider provider)
      throws IOException {
    if (out == null && grid == null) {
      throw new IllegalArgumentException("Nothing to write: pass --out DIR for PNGs per record and/or --grid FILE.png.");
    }
    if (batch < 1 || gridLimit < 1 || limit < 0) {
      throw new IllegalArgumentException("--batch-size and --grid-limit must be at least 1 and --limit at least 0.");
    }
    Path decoderFile = TokenizerMetadata.resolve(model, TokenizerMetadata.ROLE_DECODER);
    try (OnnxDecoder decoder = OnnxDecoder.open(decoderFile, new OnnxTokenizer.Options(provider, 0, 0))) {
      return TokenFileDecoder.decode(decoder, tokens, new TokenFileDecoder.Options(out, grid, gridLimit, batch, limit));
    }
  }
}
