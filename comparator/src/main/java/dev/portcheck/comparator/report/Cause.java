package dev.portcheck.comparator.report;

/** Why the first divergence happened. */
public enum Cause {
  /** An attribute of the diverging layer (or of a layer folded into it) differs, e.g. epsilon. */
  ATTRIBUTE,
  /** The layer's parameters differ (after accounting for layout). */
  WEIGHTS,
  /** Numbers differ although attributes and weights agree. */
  ACTIVATION
}
