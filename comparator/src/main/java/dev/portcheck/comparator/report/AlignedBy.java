package dev.portcheck.comparator.report;

/** The evidence that paired a layer with its counterparts, strongest first. */
public enum AlignedBy {
  /** The models store its parameters under the same (normalised) names. */
  PARAMETER_NAME,
  /** Its parameters hold the same values, up to weight layout. */
  PARAMETER_FINGERPRINT,
  /** Its weights equal the other model's Conv weights with a BatchNorm folded in. */
  FOLDED_FINGERPRINT,
  /** Its place in the sequence of op kinds between two anchored layers. */
  TOPOLOGY,
  /** Model outputs, matched by position. */
  OUTPUT,
  /**
   * The same place between aligned neighbours (same name, or the same producer and consumer) while
   * the ops differ in kind, or the place where the other model has no layer at all: the difference
   * of kind is the finding.
   */
  PLACE
}
