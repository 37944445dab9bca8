package dev.ibq.training.export;

import dev.ibq.training.io.Json;
import dev.ibq.model.TokenizerMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The small human/machine-readable card written beside an export: {@code model-card.json} (metadata, files,
 * parity) and {@code model-card.md} (the same as a table).
 */
public final class ModelCard {
  public static final String JSON_FILE = "model-card.json";
  public static final String MARKDOWN_FILE = "model-card.md";

  private ModelCard() {}

  /** Writes both card files into the export directory. */
  public static void write(Path dir, TokenizerExporter.Exported exported, String source, ParityCheck.Result parity)
      throws IOException {
    Map<String, Object> card = new LinkedHashMap<>();
    card.put("source", source);
    card.put("files", Map.of(
        "encoder", Map.of("file", TokenizerMetadata.ENCODER_FILE, "bytes", Files.size(exported.encoder())),
        "decoder", Map.of("file", TokenizerMetadata.DECODER_FILE, "bytes", Files.size(exported.decoder()))));
    Map<String, String> meta = new LinkedHashMap<>(exported.encoderMetadata());
    meta.remove(TokenizerMetadata.ROLE);
    card.put("metadata", meta);
    if (parity != null) {
      card.put("parity", Map.of(
          "images", parity.images(),
          "positions", parity.positions(),
          "agreement", parity.agreement(),
          "disagreements", parity.disagreements().size(),
          "max_margin", parity.maxMargin(),
          "decoder_max_abs_diff", parity.decoderMaxAbsDiff(),
          "passed", parity.passed()));
    }
    Json.writePretty(dir.resolve(JSON_FILE), card);

    StringBuilder md = new StringBuilder();
    md.append("# Tokenizer export: ").append(meta.get(TokenizerMetadata.TOKENIZER_NAME)).append("\n\n");
    md.append("Source: `").append(source).append("`\n\n");
    md.append("| key | value |\n|---|---|\n");
    meta.forEach((k, v) -> {
      if (!k.equals(TokenizerMetadata.CONFIG)) {
        md.append("| `").append(k).append("` | `").append(v.replace("|", "\\|")).append("` |\n");
      }
    });
    md.append("| encoder.onnx | ").append(Files.size(exported.encoder())).append(" bytes |\n");
    md.append("| decoder.onnx | ").append(Files.size(exported.decoder())).append(" bytes |\n");
    if (parity != null) {
      md.append("\nParity with the DJL model: ").append(parity.summary()).append("\n");
    }
    md.append("\nConfig (`").append(TokenizerMetadata.CONFIG).append("`):\n\n```json\n")
        .append(meta.get(TokenizerMetadata.CONFIG)).append("\n```\n");
    Files.writeString(dir.resolve(MARKDOWN_FILE), md.toString());
  }
}
