package dev.portcheck.comparator.report;

/**
 * Summary of one model's activation at one layer, over every probe. Mean, std, min and max are over
 * finite elements; NaN and infinite elements are counted, not averaged in.
 *
 * @param shape the activation's shape in that model's own layout (of the last probe)
 * @param count number of elements seen over all probes
 * @param mean mean of the finite elements (NaN when there are none)
 * @param std population standard deviation of the finite elements
 * @param min smallest finite element
 * @param max largest finite element
 * @param nanCount NaN elements
 * @param infCount infinite elements
 */
public record ModelStats(
    java.util.List<Long> shape,
    long count,
    double mean,
    double std,
    double min,
    double max,
    long nanCount,
    long infCount) {
  public ModelStats {
    shape = java.util.List.copyOf(shape);
  }
}
