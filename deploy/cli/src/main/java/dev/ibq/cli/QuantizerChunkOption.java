package dev.ibq.cli;

import dev.ibq.training.export.TokenizerExporter;
import picocli.CommandLine.Option;

/** {@code --quantizer-chunk}, shared by every command that writes an encoder graph ({@code export}, {@code import-tokenizer}). */
final class QuantizerChunkOption {
  @Option(
      names = "--quantizer-chunk",
      defaultValue = "" + TokenizerExporter.DEFAULT_CHUNK,
      description = "Codes per in-graph argmax chunk (default ${DEFAULT-VALUE}); bounds memory for large K.")
  int chunk;
}
