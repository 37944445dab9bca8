package dev.ibq.training.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A PNG of original images beside their reconstructions: pairs of columns ({@code original |
 * reconstruction}), each cell upscaled by an integer factor (nearest neighbour, so pixels stay sharp),
 * a title line and column labels.
 *
 * <p>Images are given as planar arrays {@code (C, H, W)} with values in [0, 1] (C = 1 grey or 3 RGB).
 */
public final class ReconstructionGrid {

  private static final int GAP = 4;
  private static final int PAIR_GAP = 12;
  private static final Color BACKGROUND = new Color(250, 250, 250);
  private static final Color INK = new Color(30, 30, 30);

  private ReconstructionGrid() {}

  /**
   * Draws the grid.
   *
   * @param originals N images (C*H*W floats in [0, 1])
   * @param reconstructions N images of the same shape
   * @param pairsPerRow how many original/reconstruction pairs one row holds
   * @param scale the integer upscaling factor per pixel
   * @param title the line above the grid
   */
  public static BufferedImage render(
      float[][] originals, float[][] reconstructions, int channels, int height, int width, int pairsPerRow, int scale, String title) {
    if (originals.length != reconstructions.length) {
      throw new IllegalArgumentException(
          "There are " + originals.length + " originals but " + reconstructions.length + " reconstructions; a grid needs one of each per image.");
    }
    int n = originals.length;
    int rows = Math.max(1, (n + pairsPerRow - 1) / pairsPerRow);
    int cellW = width * scale;
    int cellH = height * scale;
    int pairW = 2 * cellW + GAP;
    int titleH = 26;
    int labelH = 18;
    int gridW = pairsPerRow * pairW + (pairsPerRow - 1) * PAIR_GAP;
    int imageW = gridW + 2 * PAIR_GAP;
    int imageH = titleH + labelH + rows * (cellH + GAP) + PAIR_GAP;
    BufferedImage canvas = new BufferedImage(imageW, imageH, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(BACKGROUND);
      g.fillRect(0, 0, imageW, imageH);
      g.setColor(INK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
      g.drawString(title, PAIR_GAP, 18);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      FontMetrics fm = g.getFontMetrics();
      for (int c = 0; c < Math.min(pairsPerRow, n); c++) {
        int x0 = PAIR_GAP + c * (pairW + PAIR_GAP);
        centred(g, fm, "original", x0, cellW, titleH + 12);
        centred(g, fm, "recon.", x0 + cellW + GAP, cellW, titleH + 12);
      }
      for (int i = 0; i < n; i++) {
        int row = i / pairsPerRow;
        int col = i % pairsPerRow;
        int x0 = PAIR_GAP + col * (pairW + PAIR_GAP);
        int y0 = titleH + labelH + row * (cellH + GAP);
        drawCell(canvas, originals[i], channels, height, width, scale, x0, y0);
        drawCell(canvas, reconstructions[i], channels, height, width, scale, x0 + cellW + GAP, y0);
      }
    } finally {
      g.dispose();
    }
    return canvas;
  }

  /** Renders and writes the grid as PNG. */
  public static void write(
      Path png, float[][] originals, float[][] reconstructions, int channels, int height, int width, int pairsPerRow, int scale, String title) {
    BufferedImage image = render(originals, reconstructions, channels, height, width, pairsPerRow, scale, title);
    try {
      Files.createDirectories(png.toAbsolutePath().getParent());
      ImageIO.write(image, "png", png.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write figure " + png, e);
    }
  }

  private static void centred(Graphics2D g, FontMetrics fm, String text, int x0, int w, int y) {
    g.drawString(text, x0 + (w - fm.stringWidth(text)) / 2, y);
  }

  private static void drawCell(BufferedImage canvas, float[] chw, int channels, int height, int width, int scale, int x0, int y0) {
    int plane = height * width;
    if (chw.length != channels * plane) {
      throw new IllegalArgumentException(
          "An image has " + chw.length + " values; expected " + channels + "x" + height + "x" + width + " = " + channels * plane + ".");
    }
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int r;
        int gr;
        int b;
        if (channels == 1) {
          r = gr = b = toByte(chw[y * width + x]);
        } else {
          r = toByte(chw[y * width + x]);
          gr = toByte(chw[plane + y * width + x]);
          b = toByte(chw[2 * plane + y * width + x]);
        }
        int rgb = (r << 16) | (gr << 8) | b;
        for (int dy = 0; dy < scale; dy++) {
          for (int dx = 0; dx < scale; dx++) {
            canvas.setRGB(x0 + x * scale + dx, y0 + y * scale + dy, rgb);
          }
        }
      }
    }
  }

  private static int toByte(float v) {
    return Math.max(0, Math.min(255, Math.round(v * 255f)));
  }
}
