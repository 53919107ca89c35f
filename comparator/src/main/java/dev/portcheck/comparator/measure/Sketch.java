package dev.portcheck.comparator.measure;

import dev.portcheck.comparator.report.ModelStats;
import dev.portcheck.importers.api.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * One activation summarised: moments, extremes, NaN/Inf counts and a quantile sketch. None of it
 * depends on the element order, which is what lets a summary recorded from a channels-first model
 * check a channels-last export.
 *
 * @param shape the activation's shape in the recorded model's layout
 * @param count number of elements
 * @param mean mean of the finite elements (NaN when none)
 * @param std population standard deviation of the finite elements
 * @param min smallest finite element
 * @param max largest finite element
 * @param nanCount NaN elements
 * @param infCount infinite elements
 * @param quantiles the finite elements' values at {@link #LEVELS}
 */
public record Sketch(
    List<Long> shape,
    long count,
    double mean,
    double std,
    double min,
    double max,
    long nanCount,
    long infCount,
    List<Double> quantiles) {

  /**
   * Quantile levels. Sorted values are matched rank by rank, so each quantile difference is a lower
   * bound of the largest element-wise difference: the sketch finds shifted and rescaled tensors,
   * and the tails (1%, 99%) catch a few outliers without storing them.
   */
  public static final List<Double> LEVELS =
      List.of(0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0);

  public Sketch {
    shape = List.copyOf(shape);
    quantiles = List.copyOf(quantiles);
  }

  /** Summarises {@code t}; sorts a copy of its finite values. */
  public static Sketch of(Tensor t) {
    int n = t.size();
    // One read of the values (and, for an engine's in-place view, one lifetime check).
    FloatBuffer values =
        t.dtype().isFloating() ? t.floatBuffer() : FloatBuffer.wrap(t.toFloatArray());
    float[] finite = new float[n];
    int f = 0;
    long nan = 0;
    long inf = 0;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      float v = values.get(i);
      if (Float.isNaN(v)) {
        nan++;
      } else if (Float.isInfinite(v)) {
        inf++;
      } else {
        finite[f++] = v;
        sum += v;
      }
    }
    List<Long> shape = Arrays.stream(t.shape()).boxed().toList();
    if (f == 0) {
      List<Double> q = LEVELS.stream().map(x -> Double.NaN).toList();
      return new Sketch(shape, n, Double.NaN, Double.NaN, Double.NaN, Double.NaN, nan, inf, q);
    }
    float[] sorted = Arrays.copyOf(finite, f);
    Arrays.sort(sorted);
    double mean = sum / f;
    double m2 = 0;
    for (int i = 0; i < f; i++) {
      double d = sorted[i] - mean;
      m2 += d * d;
    }
    final int count = f;
    List<Double> q =
        LEVELS.stream().map(l -> (double) sorted[(int) Math.round(l * (count - 1))]).toList();
    return new Sketch(shape, n, mean, Math.sqrt(m2 / f), sorted[0], sorted[f - 1], nan, inf, q);
  }

  /** The sketches of several probes as one {@link ModelStats}, as a comparison reports them. */
  public static ModelStats combine(List<Sketch> sketches) {
    long count = 0;
    long finite = 0;
    double sum = 0;
    double sumSq = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    long nan = 0;
    long inf = 0;
    List<Long> shape = List.of();
    for (Sketch s : sketches) {
      shape = s.shape();
      count += s.count();
      nan += s.nanCount();
      inf += s.infCount();
      long k = s.count() - s.nanCount() - s.infCount();
      if (k > 0) {
        finite += k;
        sum += s.mean() * k;
        sumSq += (s.std() * s.std() + s.mean() * s.mean()) * k;
        min = Math.min(min, s.min());
        max = Math.max(max, s.max());
      }
    }
    double mean = finite == 0 ? Double.NaN : sum / finite;
    double std = finite == 0 ? Double.NaN : Math.sqrt(Math.max(0, sumSq / finite - mean * mean));
    return new ModelStats(
        shape,
        count,
        mean,
        std,
        finite == 0 ? Double.NaN : min,
        finite == 0 ? Double.NaN : max,
        nan,
        inf);
  }
}
