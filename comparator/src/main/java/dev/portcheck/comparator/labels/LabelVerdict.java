package dev.portcheck.comparator.labels;

/**
 * How two models' label files relate, declared worst first: {@link #compareTo} orders by severity
 * and the report's overall verdict is the worst pair's.
 *
 * <p>Why this order: {@link #MISMATCH} means two files give different names to provably identical
 * outputs, so at least one file is wrong and nothing in the model explains it; {@link #PERMUTED}
 * means the port itself reordered the outputs and the labels did not follow, a defect in the model
 * file that every user of the original labels inherits; {@link #OFFSET} is the same class list
 * shifted by a known number of entries (usually a background class), wrong but mechanical to fix;
 * {@link #COUNT_MISMATCH} means the names line up but a file has names missing or to spare at its
 * end, so some outputs are reported without a name (or a name names no output): the fix is one
 * line; {@link #INCONCLUSIVE} means the outputs could not be aligned, so labels could not be judged
 * (not a finding about labels, but not a pass either); {@link #CONSISTENT} passes.
 */
public enum LabelVerdict {
  /** Outputs agree index by index, but the label files name those indices differently. */
  MISMATCH,
  /** Outputs agree only after reordering and the label files do not follow the reordering. */
  PERMUTED,
  /** Outputs agree after a shift by k entries that one label file does not account for. */
  OFFSET,
  /**
   * A label file holds more or fewer names than its model has outputs, and the names it has line up
   * with the other model's position by position: names are missing or to spare at the end. Also
   * used when the outputs could not be compared but a file's length is certainly wrong.
   */
  COUNT_MISMATCH,
  /** The outputs do not agree under any alignment tried; labels could not be compared. */
  INCONCLUSIVE,
  /** Every probe's winning class has the same name in both models. */
  CONSISTENT;

  /** The more severe of two verdicts. */
  public LabelVerdict worse(LabelVerdict other) {
    return compareTo(other) <= 0 ? this : other;
  }
}
