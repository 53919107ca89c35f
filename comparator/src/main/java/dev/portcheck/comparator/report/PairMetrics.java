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
 */
public record PairMetrics(
    String comparedAs,
    boolean elementwise,
    double maxAbsDiff,
    double maxRelDiff,
    double cosine,
    double fractionOutside,
    long nanMismatches,
    boolean withinTolerance) {}
