package dev.ibq.training.autoregressive;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line text progress bar on stderr, redrawn at most twice a second: {@code [=====>    ] 120/1000 ...}. */
final class ProgressBar {

  private static final int WIDTH = 30;
  private final PrintStream out;
  private final String label;
  private final long total;
  private final long startNanos = System.nanoTime();
  private long lastDraw;

  ProgressBar(PrintStream out, String label, long total) {
    this.out = out;
    this.label = label;
    this.total = total;
  }

  void update(long done, String status) {
    long now = System.nanoTime();
    if (done < total && now - lastDraw < 500_000_000L) {
      return;
    }
    lastDraw = now;
    int filled = (int) (WIDTH * done / Math.max(1, total));
    StringBuilder bar = new StringBuilder();
    for (int i = 0; i < WIDTH; i++) {
      bar.append(i < filled ? '=' : i == filled ? '>' : ' ');
    }
    double elapsed = (now - startNanos) / 1e9;
    double eta = done == 0 ? 0 : elapsed / done * (total - done);
    out.printf(
        Locale.ROOT, "\r%s [%s] %d/%d %s elapsed %s eta %s   ", label, bar, done, total, status, clock(elapsed),
        clock(eta));
    if (done >= total) {
      out.println();
    }
    out.flush();
  }

  private static String clock(double seconds) {
    long s = Math.round(seconds);
    return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }
}
