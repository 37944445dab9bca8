package dev.ibq.training.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A PNG of training curves from metrics-log rows, one stacked panel per {@link Panel} against the step; used by
 * both training stages. The tokenizer draws the positive loss terms on a log axis (top; the entropy loss, sample
 * minus batch entropy, is negative and therefore not drawn there) and the codebook utilization over the recent
 * window, in [0, 1] (bottom, black); the AR model draws train and validation bits per token.
 */
public final class TrainingCurves {

  private static final Color[] PALETTE = {
    new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
    new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127)
  };

  /**
   * One panel of the figure.
   *
   * @param axis the value axis label
   * @param keys the metrics columns drawn (a column absent from every row, or never plottable, is skipped)
   * @param logScale a log axis (then only positive values are drawn)
   * @param range fixed {min, max} of the axis, or null for automatic
   * @param weight relative height
   * @param emphasis one thick black line (for a single headline series)
   */
  public record Panel(String axis, List<String> keys, boolean logScale, double[] range, int weight, boolean emphasis) {}

  private TrainingCurves() {}

  /**
   * The tokenizer's figure: loss terms (log axis, top) and utilization (bottom).
   *
   * @param rows metrics-log rows, each with a {@code step}
   * @param lossKeys the loss columns to plot (those absent or never positive are skipped)
   * @param utilizationKey the utilization column
   */
  public static void write(Path png, List<Map<String, Double>> rows, List<String> lossKeys, String utilizationKey, String title) {
    write(png, rows, title, 700, List.of(
        new Panel("loss (log)", lossKeys, true, null, 2, false),
        new Panel("utilization", List.of(utilizationKey), false, new double[] {0.0, 1.02}, 1, true)));
  }

  /** Writes the panels stacked over one step axis; rows without a {@code step} are skipped. */
  public static void write(Path png, List<Map<String, Double>> rows, String title, int height, List<Panel> panels) {
    NumberAxis stepAxis = new NumberAxis("step");
    stepAxis.setAutoRangeIncludesZero(true);
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(stepAxis);
    plot.setGap(12);
    for (Panel panel : panels) {
      XYSeriesCollection data = new XYSeriesCollection();
      for (String key : panel.keys()) {
        XYSeries series = new XYSeries(key);
        for (Map<String, Double> row : rows) {
          Double v = row.get(key);
          Double step = row.get("step");
          if (step != null && v != null && Double.isFinite(v) && (!panel.logScale() || v > 0)) {
            series.add(step, v);
          }
        }
        if (series.getItemCount() > 0 || panel.emphasis()) {
          data.addSeries(series);
        }
      }
      ValueAxis axis;
      if (panel.logScale()) {
        LogAxis log = new LogAxis(panel.axis());
        log.setSmallestValue(1e-6);
        log.setBase(10);
        log.setNumberFormatOverride(new java.text.DecimalFormat("0.0##"));
        axis = log;
      } else {
        NumberAxis linear = new NumberAxis(panel.axis());
        linear.setAutoRangeIncludesZero(false);
        axis = linear;
      }
      if (panel.range() != null) {
        axis.setRange(panel.range()[0], panel.range()[1]);
      }
      XYLineAndShapeRenderer renderer;
      if (panel.emphasis()) {
        renderer = new XYLineAndShapeRenderer(true, false);
        renderer.setSeriesPaint(0, Color.BLACK);
        renderer.setSeriesStroke(0, new BasicStroke(2f));
      } else {
        renderer = lines(data.getSeriesCount(), 0);
      }
      XYPlot sub = new XYPlot(data, null, axis, renderer);
      styled(sub);
      plot.add(sub, panel.weight());
    }
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    try {
      Files.createDirectories(png.toAbsolutePath().getParent());
      ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, height);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write figure " + png, e);
    }
  }

  private static XYLineAndShapeRenderer lines(int count, int colourOffset) {
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < count; i++) {
      renderer.setSeriesPaint(i, PALETTE[(i + colourOffset) % PALETTE.length]);
      renderer.setSeriesStroke(i, new BasicStroke(1.6f));
    }
    return renderer;
  }

  private static void styled(XYPlot plot) {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(220, 220, 220));
    plot.setRangeGridlinePaint(new Color(220, 220, 220));
  }
}
