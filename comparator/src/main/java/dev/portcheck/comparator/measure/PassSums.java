package dev.portcheck.comparator.measure;

/**
 * The running sums of one pass over a tensor (or a pair of tensors), filled chunk by chunk by a
 * {@link Kernel}: the other tensor's shifted sums and extremes, and the pair's cosine terms, maxima
 * and count outside tolerance. Mutable and confined to the thread of one pass.
 */
final class PassSums {
  /** Sum of {@code y - shift}. */
  double s1;

  /** Sum of {@code (y - shift)^2}. */
  double s2;

  float lo = Float.POSITIVE_INFINITY;
  float hi = Float.NEGATIVE_INFINITY;

  /** Sums of {@code x*y}, {@code x^2} and {@code y^2}, for the cosine. */
  double dot;

  double na;
  double nb;

  /** Largest {@code |y - x|}, {@code |y - x| / max(|x|, floor)} and {@code |x|}. */
  double maxAbs;

  double maxRel;
  double scale;

  /** Elements with {@code |y - x| > atol + rtol * |x|}. */
  long outside;

  /**
   * Whether no non-finite value reached the sums (the caller's careful pass is then not needed).
   */
  boolean finite() {
    return Double.isFinite(s1) && Double.isFinite(s2) && Double.isFinite(na) && Double.isFinite(nb);
  }
}
