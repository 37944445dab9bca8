package dev.ibq.training.export;

import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.model.TokenizerInfo;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * Decodes an Avro container file of {@link TokenRecord}s back to images: one PNG per record
 * ({@code OUT/<image id>.png}, unsafe characters replaced by '_') and/or one grid PNG. Pixels come from the
 * shared {@link Preprocessor#toImage} mapping of the model's preprocessing spec.
 */
public final class TokenFileDecoder {
  private TokenFileDecoder() {}

  /**
   * @param outDir directory for per-record PNGs, or null for none
   * @param grid path of a grid PNG of the first {@code gridLimit} records, or null for none
   * @param limit decode only the first N records (0 = all)
   */
  public record Options(Path outDir, Path grid, int gridLimit, int batch, int limit) {}

  public record Result(int records, List<Path> pngs, Path grid) {}

  public static Result decode(OnnxDecoder decoder, Path tokens, Options options) throws IOException {
    if (!Files.isRegularFile(tokens)) {
      throw new IllegalArgumentException("The token file " + tokens.toAbsolutePath() + " does not exist.");
    }
    TokenizerInfo info = decoder.info();
    Preprocessor pre = new Preprocessor(PreprocessingSpec.parse(info.preprocessingDescriptor()));
    if (options.outDir() != null) {
      Files.createDirectories(options.outDir());
    }
    List<Path> pngs = new ArrayList<>();
    List<BufferedImage> gridImages = new ArrayList<>();
    Set<String> usedNames = new HashSet<>();
    int count = 0;
    try (DataFileReader<TokenRecord> reader =
        new DataFileReader<>(tokens.toFile(), new SpecificDatumReader<>(TokenRecord.class))) {
      List<TokenRecord> pending = new ArrayList<>();
      while (reader.hasNext() && (options.limit() == 0 || count < options.limit())) {
        TokenRecord r = reader.next();
        check(r, info, tokens, count);
        pending.add(r);
        count++;
        if (pending.size() == options.batch()) {
          flush(decoder, pre, pending, options, pngs, gridImages, usedNames);
        }
      }
      flush(decoder, pre, pending, options, pngs, gridImages, usedNames);
    }
    Path grid = null;
    if (options.grid() != null && !gridImages.isEmpty()) {
      grid = options.grid();
      if (grid.toAbsolutePath().getParent() != null) {
        Files.createDirectories(grid.toAbsolutePath().getParent());
      }
      ImageIO.write(grid(gridImages), "png", grid.toFile());
    }
    return new Result(count, pngs, grid);
  }

  private static void check(TokenRecord r, TokenizerInfo info, Path file, int index) {
    if (!info.tokenizerId().equals(r.getTokenizerId())) {
      throw new IllegalArgumentException(
          "Record " + index + " (" + r.getImageId() + ") of " + file + " was made by tokenizer " + r.getTokenizerId()
              + ", but the decoder is tokenizer " + info.tokenizerId() + " (" + info.name()
              + "); decode with the export that encoded it.");
    }
    if (r.getGridHeight() != info.gridHeight() || r.getGridWidth() != info.gridWidth() || r.getTokens().size() != info.tokensPerImage()) {
      throw new IllegalArgumentException(
          "Record " + index + " (" + r.getImageId() + ") has a " + r.getGridHeight() + "x" + r.getGridWidth() + " grid with "
              + r.getTokens().size() + " tokens; the decoder expects " + info.gridHeight() + "x" + info.gridWidth() + ".");
    }
  }

  private static void flush(
      OnnxDecoder decoder,
      Preprocessor pre,
      List<TokenRecord> pending,
      Options options,
      List<Path> pngs,
      List<BufferedImage> gridImages,
      Set<String> usedNames)
      throws IOException {
    if (pending.isEmpty()) {
      return;
    }
    int[][] rows = new int[pending.size()][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = pending.get(i).getTokens().stream().mapToInt(Integer::intValue).toArray();
    }
    float[] images = decoder.decode(rows); // (B, C, H, W)
    int per = decoder.info().valuesPerImage();
    for (int i = 0; i < rows.length; i++) {
      BufferedImage img = pre.toImage(images, i * per);
      if (options.outDir() != null) {
        Path png = options.outDir().resolve(uniqueName(pending.get(i).getImageId(), usedNames) + ".png");
        ImageIO.write(img, "png", png.toFile());
        pngs.add(png);
      }
      if (options.grid() != null && gridImages.size() < options.gridLimit()) {
        gridImages.add(img);
      }
    }
    pending.clear();
  }

  /** A file-name-safe form of an image id, unique among the names already used. */
  static String uniqueName(String id, Set<String> used) {
    String base = id.replaceAll("[^A-Za-z0-9._-]", "_");
    if (base.isEmpty() || base.startsWith(".")) {
      base = "_" + base;
    }
    String name = base;
    for (int n = 2; !used.add(name); n++) {
      name = base + "_" + n;
    }
    return name;
  }

  private static BufferedImage grid(List<BufferedImage> images) {
    int n = images.size();
    int cols = (int) Math.ceil(Math.sqrt(n));
    int rows = (n + cols - 1) / cols;
    int w = images.get(0).getWidth();
    int h = images.get(0).getHeight();
    int gap = 2;
    BufferedImage out = new BufferedImage(cols * (w + gap) + gap, rows * (h + gap) + gap, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setColor(Color.DARK_GRAY);
    g.fillRect(0, 0, out.getWidth(), out.getHeight());
    for (int i = 0; i < n; i++) {
      g.drawImage(images.get(i), gap + (i % cols) * (w + gap), gap + (i / cols) * (h + gap), null);
    }
    g.dispose();
    return out;
  }
}
