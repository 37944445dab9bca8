package dev.ibq.training.autoregressive;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.ibq.image.PreprocessingSpec;
import dev.ibq.image.Preprocessor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;

/** Lays sample images out as a PNG grid: one row per class, labelled on the left, images scaled up. */
public final class SampleGrid {

  private SampleGrid() {}

  /**
   * Writes images laid out class by class ({@code perClass} consecutive images per class, classes in order) as
   * one row per class showing the first {@code columns} of each, scaled 2x.
   *
   * @param images (classes * perClass, C, H, W) in the model range of {@code spec}
   * @param label the text of the row of each class
   */
  public static void writeClassRows(
      Path png, float[] images, PreprocessingSpec spec, int classes, int perClass, int columns, IntFunction<String> label) {
    Preprocessor preprocessor = new Preprocessor(spec);
    List<List<BufferedImage>> rows = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      List<BufferedImage> row = new ArrayList<>();
      for (int i = 0; i < Math.min(columns, perClass); i++) {
        row.add(preprocessor.toImage(images, (c * perClass + i) * spec.tensorSize()));
      }
      rows.add(row);
      labels.add(label.apply(c));
    }
    write(png, rows, labels, 2);
  }

  /**
   * @param rows images per row, one list per class
   * @param labels the text of each row
   * @param scale integer upscaling of each image (nearest neighbour)
   */
  public static void write(Path png, List<List<BufferedImage>> rows, List<String> labels, int scale) {
    int cellW = rows.get(0).get(0).getWidth() * scale;
    int cellH = rows.get(0).get(0).getHeight() * scale;
    int gap = 2;
    int labelWidth = 110;
    int columns = rows.stream().mapToInt(List::size).max().orElse(0);
    int width = labelWidth + columns * (cellW + gap) + gap;
    int height = rows.size() * (cellH + gap) + gap;
    BufferedImage canvas = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      for (int r = 0; r < rows.size(); r++) {
        int y = gap + r * (cellH + gap);
        g.setColor(Color.BLACK);
        g.drawString(labels.get(r), 4, y + cellH / 2 + 5);
        List<BufferedImage> row = rows.get(r);
        for (int c = 0; c < row.size(); c++) {
          g.drawImage(row.get(c), labelWidth + gap + c * (cellW + gap), y, cellW, cellH, null);
        }
      }
    } finally {
      g.dispose();
    }
    try {
      Path parent = png.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      if (!ImageIO.write(canvas, "png", png.toFile())) {
        throw new IOException("no PNG writer is available");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the sample grid " + png + ": " + e.getMessage(), e);
    }
  }
}
