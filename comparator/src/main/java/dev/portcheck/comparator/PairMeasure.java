package dev.portcheck.comparator;

/**
 * One model's activation compared with the reference's over the probes, element by element ({@link
 * PairAccumulator}) or against recorded summaries ({@link SketchAccumulator}).
 */
interface PairMeasure {
  /** Whether nothing was compared. */
  boolean isEmpty();

  /** The two shapes when the tensors could not be compared because their sizes differ, or null. */
  String sizeMismatch();

  /** The figures over every probe compared. */
  PairMetrics toMetrics();
}
