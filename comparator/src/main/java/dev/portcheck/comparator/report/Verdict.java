package dev.portcheck.comparator.report;

/** Overall outcome of a comparison: a divergence is a result, never an exception. */
public enum Verdict {
  /** Every aligned layer and every output agrees within tolerance. */
  MATCH,
  /** At least one layer or output is outside tolerance. */
  DIVERGED
}
