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

  /** The parts of a comparison whose wall time {@link #phase} reports, in the order they run. */
  enum Phase {
    /** Matching layers across the models (names, parameters, folds, topology). */
    ALIGN,
    /** Attribute and weight checks of the aligned rows. */
    STATIC_CHECKS,
    /** Model runs, copying the tapped activations out of the engines. */
    RUN,
    /** Per-layer statistics and pairwise differences of the activations. */
    SUMMARISE,
    /** Building the report: statuses, first divergence, explanations. */
    ASSEMBLE
  }

  /**
   * Time spent in one phase; called once per phase and comparison, RUN and SUMMARISE with their
   * totals over all probes. For benchmarks; ignored by default.
   *
   * @param phase the part that finished
   * @param nanos its wall time
   */
  default void phase(Phase phase, long nanos) {}
}
