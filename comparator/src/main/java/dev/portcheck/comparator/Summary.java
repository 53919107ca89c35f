package dev.portcheck.comparator;

import dev.portcheck.importers.api.Tensor;
import java.nio.FloatBuffer;
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

  /** Adds every element of {@code t}. */
  void add(Tensor t) {
    shape = Arrays.stream(t.shape()).boxed().toList();
    if (t.dtype().isFloating()) {
      FloatBuffer b = t.floatBuffer();
      while (b.hasRemaining()) {
        accept(b.get());
      }
    } else {
      int n = t.size();
      for (int i = 0; i < n; i++) {
        accept(t.getFloat(i));
      }
    }
  }

  private void accept(float v) {
    count++;
    if (Float.isNaN(v)) {
      nan++;
      return;
    }
    if (Float.isInfinite(v)) {
      inf++;
      return;
    }
    finite++;
    double d = v - mean;
    mean += d / finite;
    m2 += d * (v - mean);
    if (v < min) {
      min = v;
    }
    if (v > max) {
      max = v;
    }
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
