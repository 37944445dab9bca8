package dev.ibq.training.importer;

import dev.ibq.image.DecodeLimits;
import dev.ibq.image.ImageRejectedException;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import dev.ibq.image.source.FolderSource;
import dev.ibq.schemas.TokenRecord;
import dev.ibq.runtime.OnnxDecoder;
import dev.ibq.runtime.OnnxTokenizer;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * A picture of photos beside the images decoded from their tokens: for each record of a token file written by
 * {@code ./ibq encode --folder PHOTOS}, the photo as the model saw it (the model's preprocessing) and the decoder's
 * output for the record's tokens, with a caption above (say there what the weights are) and the file name under
 * each pair. Photos of the folder without a record (rejected by the decoder of images) are listed in the result.
 *
 * <p>{@code java ... dev.ibq.training.importer.PhotoSheet MODEL_DIR PHOTO_DIR TOKENS.avro OUT.png "caption"}
 */
public final class PhotoSheet {

  private static final int CELL = 256;
  private static final int LABEL = 18;
  private static final int PAIRS_PER_ROW = 4;

  private PhotoSheet() {}

  /** What was drawn and what was missing. */
  public record Result(Path picture, List<String> drawn, List<String> withoutRecord) {}

  /** From a token file written by {@code ./ibq encode --folder photos}. */
  public static Result write(Path modelDir, Path photos, Path tokens, Path out, String caption) throws IOException {
    List<TokenRecord> records = new ArrayList<>();
    try (DataFileReader<TokenRecord> reader = new DataFileReader<>(tokens.toFile(), new SpecificDatumReader<>(TokenRecord.class))) {
      while (reader.hasNext()) {
        records.add(reader.next());
      }
    }
    return write(modelDir, photos, records, out, caption);
  }

  /** From token records (for example those a stream job committed); their image ids are {@link FolderSource} ids in {@code photos}. */
  public static Result write(Path modelDir, Path photos, List<TokenRecord> records, Path out, String caption) throws IOException {
    List<String> ids = new ArrayList<>();
    List<int[]> grids = new ArrayList<>();
    for (TokenRecord r : records) {
      ids.add(r.getImageId());
      grids.add(r.getTokens().stream().mapToInt(Integer::intValue).toArray());
    }
    List<String> withoutRecord = new ArrayList<>();
    FolderSource listing = FolderSource.open(photos);
    for (int i = 0; i < listing.size(); i++) {
      if (!ids.contains(listing.id(i))) {
        withoutRecord.add(listing.id(i));
      }
    }
    List<BufferedImage> originals = new ArrayList<>();
    List<BufferedImage> decoded = new ArrayList<>();
    try (OnnxDecoder decoder = OnnxDecoder.open(modelDir.resolve("decoder.onnx"), OnnxTokenizer.Options.cpu(1))) {
      PreprocessingSpec spec = decoder.info().preprocessing();
      Preprocessor pre = new Preprocessor(spec);
      for (int i = 0; i < ids.size(); i++) {
        try {
          originals.add(scaled(pre.toImage(pre.decodeAndApply(Files.readAllBytes(photos.resolve(ids.get(i))), DecodeLimits.defaults()), 0)));
        } catch (ImageRejectedException e) {
          throw new IOException("The photo " + ids.get(i) + " has a token record but cannot be decoded now: " + e.getMessage(), e);
        }
        float[] image = decoder.decode(new int[][] {grids.get(i)});
        decoded.add(scaled(pre.toImage(image, 0)));
      }
    }
    int rows = (ids.size() + PAIRS_PER_ROW - 1) / PAIRS_PER_ROW;
    int header = 2 * LABEL + 8;
    int width = PAIRS_PER_ROW * (2 * CELL + 12);
    BufferedImage sheet = new BufferedImage(width, header + rows * (CELL + LABEL + 6), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = sheet.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
    g.setColor(new Color(160, 0, 0));
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(caption, 6, LABEL);
    g.setColor(Color.DARK_GRAY);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString("each pair: the photo after the model's preprocessing | decoded from its tokens", 6, 2 * LABEL);
    for (int i = 0; i < ids.size(); i++) {
      int x = (i % PAIRS_PER_ROW) * (2 * CELL + 12);
      int y = header + (i / PAIRS_PER_ROW) * (CELL + LABEL + 6);
      g.drawImage(originals.get(i), x, y, null);
      g.drawImage(decoded.get(i), x + CELL + 2, y, null);
      g.setColor(Color.BLACK);
      g.drawString(ids.get(i), x + 2, y + CELL + LABEL - 4);
    }
    g.dispose();
    Files.createDirectories(out.toAbsolutePath().getParent());
    ImageIO.write(sheet, "png", out.toFile());
    return new Result(out, ids, withoutRecord);
  }

  private static BufferedImage scaled(BufferedImage img) {
    if (img.getWidth() == CELL && img.getHeight() == CELL) {
      return img;
    }
    BufferedImage out = new BufferedImage(CELL, CELL, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
    g.drawImage(img, 0, 0, CELL, CELL, null);
    g.dispose();
    return out;
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 5) {
      System.err.println("usage: PhotoSheet MODEL_DIR PHOTO_DIR TOKENS.avro OUT.png CAPTION");
      System.exit(2);
    }
    Result r = write(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), args[4]);
    System.out.println("wrote " + r.picture() + ": " + r.drawn().size() + " photos; without a token record: " + r.withoutRecord());
  }
}
