package dev.portcheck.comparator.measure;

/**
 * The running sums of one tensor's values, filled chunk by chunk by a {@link Kernel}: shifted by
 * the tensor's first value so that they stay small next to the spread (a low-variance LayerNorm
 * input keeps its precision), and the extremes. Mutable and confined to the thread of one pass.
 */
final class Moments {
  /** Subtracted from every value before summing. */
  final double shift;

  /** Sum of {@code v - shift}. */
  double s1;

  /** Sum of {@code (v - shift)^2}. */
  double s2;

  float lo = Float.POSITIVE_INFINITY;
  float hi = Float.NEGATIVE_INFINITY;

  Moments(double shift) {
    this.shift = shift;
  }

  /** Merges these sums, of all of {@code v}, into {@code sum}. */
  void addTo(Summary sum, long[] shape, java.nio.FloatBuffer v) {
    sum.addPass(shape, v, s1, s2, lo, hi);
  }
}
