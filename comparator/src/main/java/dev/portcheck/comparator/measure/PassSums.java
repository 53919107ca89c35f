package dev.portcheck.comparator.measure;

/**
 * The running sums of one comparison pass over a pair of tensors, filled chunk by chunk by a {@link
 * Kernel}: the pair's cosine terms, maxima and count outside tolerance. Mutable and confined to the
 * thread of one pass.
 */
final class PassSums {
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
    return Double.isFinite(na) && Double.isFinite(nb);
  }
}
