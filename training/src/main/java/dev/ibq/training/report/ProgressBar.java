package dev.ibq.training.report;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * A one-line live progress display on stderr: {@code [#####.....] 120/1500 8% loss 0.41 l1 0.12 ...
 * 52.3 img/s ETA 3m10s}, the one of both training stages, encode and produce (the rate's unit is the caller's:
 * img/s, seq/s). On a terminal the line is redrawn in place; otherwise (a log file, CI) a plain line is printed at
 * most every {@code plainEvery} updates, so logs stay readable.
 */
public final class ProgressBar {

  private static final int BAR_WIDTH = 24;

  private final PrintStream out;
  private final long total;
  private final boolean interactive;
  private final int plainEvery;
  private final String unit;
  private int updates;
  private int lastLength;

  /**
   * @param out where to draw (normally {@code System.err})
   * @param total the step count at 100%
   * @param interactive redraw one line in place (a terminal) or print plain lines
   * @param plainEvery in plain mode, print every n-th update
   */
  public ProgressBar(PrintStream out, long total, boolean interactive, int plainEvery) {
    this(out, total, interactive, plainEvery, "img/s");
  }

  /** As above, with the rate shown in {@code unit} (e.g. {@code seq/s}). */
  public ProgressBar(PrintStream out, long total, boolean interactive, int plainEvery, String unit) {
    this.unit = unit;
    this.out = out;
    this.total = total;
    this.interactive = interactive;
    this.plainEvery = Math.max(1, plainEvery);
  }

  /** A bar on stderr that redraws in place only when a console is attached. */
  public static ProgressBar onStderr(long total, int plainEvery) {
    return new ProgressBar(System.err, total, System.console() != null, plainEvery);
  }

  /** A bar on stderr with the rate in {@code unit}. */
  public static ProgressBar onStderr(long total, int plainEvery, String unit) {
    return new ProgressBar(System.err, total, System.console() != null, plainEvery, unit);
  }

  /**
   * Shows the state after {@code step} steps.
   *
   * @param fields already formatted "name value" pairs (loss, utilization, ...)
   * @param imagesPerSecond throughput over the recent steps, in the bar's unit
   * @param eta the estimated time left, or null when unknown
   */
  public void update(long step, String fields, double imagesPerSecond, Duration eta) {
    updates++;
    boolean last = step >= total;
    if (!interactive && updates % plainEvery != 0 && !last) {
      return;
    }
    String line = render(step, fields, imagesPerSecond, eta);
    if (interactive) {
      int pad = Math.max(0, lastLength - line.length());
      out.print("\r" + line + " ".repeat(pad));
      lastLength = line.length();
      if (last) {
        out.println();
      }
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** Ends the in-place line so that later output starts on a fresh line. */
  public void finish() {
    if (interactive && lastLength > 0) {
      out.println();
      out.flush();
      lastLength = 0;
    }
  }

  String render(long step, String fields, double imagesPerSecond, Duration eta) {
    double fraction = total == 0 ? 1 : Math.min(1.0, (double) step / total);
    int filled = (int) Math.round(fraction * BAR_WIDTH);
    return String.format(
        Locale.ROOT,
        "[%s%s] %d/%d %3.0f%% %s %.1f %s ETA %s",
        "#".repeat(filled),
        ".".repeat(BAR_WIDTH - filled),
        step,
        total,
        fraction * 100,
        fields,
        imagesPerSecond,
        unit,
        eta == null ? "?" : format(eta));
  }

  /** {@code 1h02m}, {@code 3m10s}, {@code 42s}. */
  public static String format(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
    if (s >= 60) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return s + "s";
  }
}
