package dev.portcheck.comparator.measure;

import dev.portcheck.comparator.report.PairMetrics;

/**
 * One model's activation compared with the reference's over the probes, element by element ({@link
 * ElementwiseDiff}) or against recorded summaries ({@link SummaryDiff}).
 */
public interface ActivationDiff {
  /** Whether nothing was compared. */
  boolean isEmpty();

  /** The two shapes when the tensors could not be compared because their sizes differ, or null. */
  String sizeMismatch();

  /** The figures over every probe compared. */
  PairMetrics toMetrics();
}
