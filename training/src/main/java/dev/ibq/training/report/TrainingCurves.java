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
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A PNG of training curves from metrics-log rows: the positive loss terms on a log axis (top; the
 * entropy loss, sample minus batch entropy, is negative and therefore not drawn there) and the codebook
 * utilization over the recent window, in [0, 1] (bottom, black), against the step.
 */
public final class TrainingCurves {

  private static final Color[] PALETTE = {
    new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
    new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127)
  };

  private TrainingCurves() {}

  /**
   * Writes the figure.
   *
   * @param rows metrics-log rows, each with a {@code step}
   * @param lossKeys the loss columns to plot (those absent or never positive are skipped)
   * @param utilizationKey the utilization column
   */
  public static void write(Path png, List<Map<String, Double>> rows, List<String> lossKeys, String utilizationKey, String title) {
    XYSeriesCollection losses = new XYSeriesCollection();
    for (String key : lossKeys) {
      XYSeries series = new XYSeries(key);
      for (Map<String, Double> row : rows) {
        Double v = row.get(key);
        if (v != null && v > 0 && Double.isFinite(v)) {
          series.add(row.get("step"), v);
        }
      }
      if (series.getItemCount() > 0) {
        losses.addSeries(series);
      }
    }
    XYSeriesCollection utilization = new XYSeriesCollection();
    XYSeries util = new XYSeries(utilizationKey);
    for (Map<String, Double> row : rows) {
      Double v = row.get(utilizationKey);
      if (v != null && Double.isFinite(v)) {
        util.add(row.get("step"), v);
      }
    }
    utilization.addSeries(util);

    NumberAxis stepAxis = new NumberAxis("step");
    stepAxis.setAutoRangeIncludesZero(true);
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(stepAxis);
    plot.setGap(12);

    LogAxis lossAxis = new LogAxis("loss (log)");
    lossAxis.setSmallestValue(1e-6);
    lossAxis.setBase(10);
    lossAxis.setNumberFormatOverride(new java.text.DecimalFormat("0.0##"));
    XYPlot lossPlot = new XYPlot(losses, null, lossAxis, lines(losses.getSeriesCount(), 0));
    styled(lossPlot);
    plot.add(lossPlot, 2);

    NumberAxis utilAxis = new NumberAxis("utilization");
    utilAxis.setRange(0.0, 1.02);
    XYLineAndShapeRenderer utilLine = new XYLineAndShapeRenderer(true, false);
    utilLine.setSeriesPaint(0, Color.BLACK);
    utilLine.setSeriesStroke(0, new BasicStroke(2f));
    XYPlot utilPlot = new XYPlot(utilization, null, utilAxis, utilLine);
    styled(utilPlot);
    plot.add(utilPlot, 1);

    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    try {
      Files.createDirectories(png.toAbsolutePath().getParent());
      ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 700);
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
