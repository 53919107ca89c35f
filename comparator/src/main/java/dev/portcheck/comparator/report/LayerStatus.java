package dev.portcheck.comparator.report;

/** Status of one aligned layer row. */
public enum LayerStatus {
  /**
   * Inside tolerance in every model; when no model could be run (a weights-only checkpoint), the
   * attributes and weights agree.
   */
  MATCH,
  /** Outside tolerance while every aligned layer upstream of it is inside. */
  DIVERGED,
  /**
   * Outside the allclose tolerance by no more than float32 rounding of a tensor of this scale
   * explains ({@link dev.portcheck.comparator.measure.Significance}): reported, not a divergence.
   */
  DRIFT,
  /** Outside tolerance, but an upstream layer already diverged. */
  DOWNSTREAM,
  /** A BatchNorm that another model folded into the preceding convolution. */
  FOLDED,
  /** No counterpart could be found in the other models. */
  UNALIGNED,
  /** Aligned, but at least one engine could not expose its output. */
  NOT_TAPPABLE
}
