package dev.ibq.training.autoregressive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Writes the AR loss curve (train and validation, bits per token against step) as a PNG. */
final class LossCurve {

  private LossCurve() {}

  /** @param train (step, bits/token) points; @param validation (step, bits/token) points */
  static void write(Path png, List<double[]> train, List<double[]> validation, String title) {
    XYSeries trainSeries = new XYSeries("train (bits/token)");
    train.forEach(p -> trainSeries.add(p[0], p[1]));
    XYSeries validationSeries = new XYSeries("validation (bits/token)");
    validation.forEach(p -> validationSeries.add(p[0], p[1]));
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(trainSeries);
    data.addSeries(validationSeries);
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title, "step", "cross-entropy (bits per token)", data, PlotOrientation.VERTICAL, true, false, false);
    try {
      ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 540);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the loss curve " + png + ": " + e.getMessage(), e);
    }
  }
}
