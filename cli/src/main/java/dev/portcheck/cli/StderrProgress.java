package dev.portcheck.cli;

import dev.portcheck.comparator.ProgressListener;
import java.io.PrintWriter;

/**
 * Progress of long runs on stderr, so that stdout stays the report (and {@code --json -} stays
 * parseable). Quiet for the first seconds: a quick comparison prints nothing extra.
 */
final class StderrProgress implements ProgressListener {
  /** Silence before the first line, so short runs stay clean. */
  static final long QUIET_NANOS = 2_000_000_000L;

  private static final long INTERVAL_NANOS = 1_000_000_000L;

  private final PrintWriter err;
  private final long start = System.nanoTime();
  private final long quiet;
  private long last;

  StderrProgress(PrintWriter err) {
    this(err, QUIET_NANOS);
  }

  StderrProgress(PrintWriter err, long quietNanos) {
    this.err = err;
    this.quiet = quietNanos;
  }

  @Override
  public void progress(String step, int done, int total) {
    long now = System.nanoTime();
    if (now - start < quiet || (last != 0 && now - last < INTERVAL_NANOS)) {
      return;
    }
    last = now;
    err.println(
        "portcheck: ["
            + (done + 1)
            + "/"
            + total
            + "] "
            + step
            + " ("
            + (now - start) / 1_000_000_000L
            + " s)");
    err.flush();
  }
}
