package dev.portcheck.comparator.report;

/**
 * How one model's activation compares with the reference model's at one layer, over every probe.
 *
 * @param comparedAs how elements were paired: {@code identity}, {@code transpose(0,3,1,2)} (NHWC to
 *     NCHW), {@code squeeze}, {@code multiset} (same values in another element order, e.g. a
 *     Flatten of NHWC vs NCHW), or {@code statistics} when no layout made the shapes agree
 * @param elementwise whether elements were compared one by one (false: statistics only)
 * @param maxAbsDiff largest |a - ref| (NaN when NaN appears on one side only)
 * @param maxRelDiff largest |a - ref| / max(|ref|, atol)
 * @param cosine smallest cosine similarity over probes (1 for two zero tensors)
 * @param fractionOutside fraction of elements outside tolerance
 * @param nanMismatches elements that are NaN or infinite on one side only
 * @param withinTolerance whether every element (or the statistics) is inside tolerance
 * @param scale the reference tensor's own scale: its largest finite |value| over every probe (NaN
 *     when unknown)
 * @param roundingBudget the largest {@code maxAbsDiff / scale} that float32 rounding explains at
 *     this layer (see {@link dev.portcheck.comparator.measure.Significance}); 0 when not assessed
 */
public record PairMetrics(
    String comparedAs,
    boolean elementwise,
    double maxAbsDiff,
    double maxRelDiff,
    double cosine,
    double fractionOutside,
    long nanMismatches,
    boolean withinTolerance,
    double scale,
    double roundingBudget) {

  /** The largest difference relative to the tensor's scale (NaN when the scale is unknown). */
  public double scaledDiff() {
    return scale > 0 && Double.isFinite(scale) ? maxAbsDiff / scale : Double.NaN;
  }

  /**
   * Whether the difference is more than float32 rounding of this tensor: outside tolerance, and
   * NaN/Inf on one side only or a largest difference beyond the rounding budget times the scale.
   */
  public boolean significant() {
    if (withinTolerance) {
      return false;
    }
    if (nanMismatches > 0 || roundingBudget <= 0) {
      return true;
    }
    double s = scaledDiff();
    return !(s <= roundingBudget);
  }

  /** Outside tolerance by no more than rounding explains: float32 drift, not a divergence. */
  public boolean drift() {
    return !withinTolerance && !significant();
  }

  /** The same figures assessed against {@code budget}. */
  public PairMetrics withRoundingBudget(double budget) {
    return new PairMetrics(
        comparedAs,
        elementwise,
        maxAbsDiff,
        maxRelDiff,
        cosine,
        fractionOutside,
        nanMismatches,
        withinTolerance,
        scale,
        budget);
  }
}
