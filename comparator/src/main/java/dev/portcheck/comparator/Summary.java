package dev.portcheck.comparator;

import dev.portcheck.importers.api.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * One-pass statistics of activations (Welford), mergeable across probes so that a probe's tensors
 * can be dropped as soon as they are summarised.
 */
final class Summary {
  private long count;
  private long finite;
  private double mean;
  private double m2;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;
  private long nan;
  private long inf;
  private List<Long> shape = List.of();

  /**
   * Adds every element of {@code t}: two plain passes over the tensor (sum, then squared deviations
   * from its own mean, which keeps float32 data accurate without a division per element), merged
   * into the running figures with Chan's formula.
   */
  void add(Tensor t) {
    shape = Arrays.stream(t.shape()).boxed().toList();
    float[] v = t.toFloatArray();
    double sum = 0;
    long n = 0;
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (float x : v) {
      if (Float.isFinite(x)) {
        sum += x;
        n++;
        if (x < lo) {
          lo = x;
        }
        if (x > hi) {
          hi = x;
        }
      } else if (Float.isNaN(x)) {
        nan++;
      } else {
        inf++;
      }
    }
    count += v.length;
    if (n == 0) {
      return;
    }
    double tMean = sum / n;
    double tM2 = 0;
    for (float x : v) {
      if (Float.isFinite(x)) {
        double d = x - tMean;
        tM2 += d * d;
      }
    }
    long total = finite + n;
    double delta = tMean - mean;
    mean += delta * n / total;
    m2 += tM2 + delta * delta * ((double) finite * n / total);
    finite = total;
    min = Math.min(min, lo);
    max = Math.max(max, hi);
  }

  boolean isEmpty() {
    return count == 0;
  }

  double mean() {
    return finite == 0 ? Double.NaN : mean;
  }

  double std() {
    return finite == 0 ? Double.NaN : Math.sqrt(m2 / finite);
  }

  ModelStats toStats() {
    return new ModelStats(
        shape,
        count,
        mean(),
        std(),
        finite == 0 ? Double.NaN : min,
        finite == 0 ? Double.NaN : max,
        nan,
        inf);
  }
}
