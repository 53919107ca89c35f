package dev.portcheck.comparator;

/**
 * Told about each step of a long comparison, snapshot or check (one model run on one probe), so
 * that a command line can show progress. Called on the comparing thread; must not throw.
 */
@FunctionalInterface
public interface ProgressListener {
  /** Ignores every step. */
  ProgressListener NONE = (step, done, total) -> {};

  /**
   * A step is about to start.
   *
   * @param step what runs, e.g. {@code "probe random:0 on m1"}
   * @param done steps finished so far
   * @param total steps in all
   */
  void progress(String step, int done, int total);
}
