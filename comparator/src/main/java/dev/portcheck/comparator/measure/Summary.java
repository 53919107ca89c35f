package dev.portcheck.comparator.measure;

import dev.portcheck.comparator.report.ModelStats;
import dev.portcheck.importers.api.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * One-pass statistics of activations (Welford), mergeable across probes so that a probe's tensors
 * can be dropped as soon as they are summarised.
 */
public final class Summary {
  private long count;
  private long finite;
  private double mean;
  private double m2;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;
  private long nan;
  private long inf;
  private List<Long> shape = List.of();

  /** Adds every element of {@code t}, merged into the running figures with Chan's formula. */
  public void add(Tensor t) {
    FloatBuffer v = values(t);
    int len = v.limit();
    // One pass without tests for NaN, shifted by the first value so that the sums stay small next
    // to the spread (a low-variance LayerNorm input keeps its precision). A NaN or infinity
    // anywhere makes the sums non-finite, and only then the slower pass that skips them runs.
    Moments sums = new Moments(len == 0 ? 0 : v.get(0));
    Kernel kernel = Kernel.get();
    float[] chunk = new float[Math.min(len, Kernel.CHUNK)];
    for (int off = 0; off < len; off += Kernel.CHUNK) {
      int n = Math.min(Kernel.CHUNK, len - off);
      v.get(off, chunk, 0, n);
      kernel.stats(chunk, n, sums);
    }
    sums.addTo(this, t.shape(), v);
  }

  /**
   * Merges the sums of a pass over {@code v}, made in {@link #add}'s order and with its shift
   * ({@code v.get(0)}): by {@link #add}, or by ElementwiseDiff while it compares (the same kernel
   * on the same chunks), so that the other model's tensor is read once rather than twice.
   */
  void addPass(long[] tensorShape, FloatBuffer v, double s1, double s2, float lo, float hi) {
    shape = Arrays.stream(tensorShape).boxed().toList();
    int len = v.limit();
    count += len;
    if (len == 0) {
      return;
    }
    if (Double.isFinite(s1) && Double.isFinite(s2)) {
      merge(len, v.get(0) + s1 / len, Math.max(0, s2 - s1 * s1 / len), lo, hi);
    } else {
      addSkippingNonFinite(v, len);
    }
  }

  private void addSkippingNonFinite(FloatBuffer v, int len) {
    double sum = 0;
    long n = 0;
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < len; i++) {
      float x = v.get(i);
      if (Float.isFinite(x)) {
        sum += x;
        n++;
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      } else if (Float.isNaN(x)) {
        nan++;
      } else {
        inf++;
      }
    }
    if (n == 0) {
      return;
    }
    double tMean = sum / n;
    double tM2 = 0;
    for (int i = 0; i < len; i++) {
      float x = v.get(i);
      if (Float.isFinite(x)) {
        double d = x - tMean;
        tM2 += d * d;
      }
    }
    merge(n, tMean, tM2, lo, hi);
  }

  /** Chan's parallel merge of a tensor's figures into the running ones. */
  private void merge(long n, double tMean, double tM2, double lo, double hi) {
    long total = finite + n;
    double delta = tMean - mean;
    mean += delta * n / total;
    m2 += tM2 + delta * delta * ((double) finite * n / total);
    finite = total;
    min = Math.min(min, lo);
    max = Math.max(max, hi);
  }

  /**
   * A read-only view of a tensor's values as floats: activations are compared where they lie in the
   * heap, never copied (a ResNet-50 probe is ~100 MB of them per model).
   */
  static FloatBuffer values(Tensor t) {
    return t.dtype().isFloating() ? t.floatBuffer() : FloatBuffer.wrap(t.toFloatArray());
  }

  /** Whether nothing was added. */
  public boolean isEmpty() {
    return count == 0;
  }

  double mean() {
    return finite == 0 ? Double.NaN : mean;
  }

  double std() {
    return finite == 0 ? Double.NaN : Math.sqrt(m2 / finite);
  }

  /** The figures over everything added. */
  public ModelStats toStats() {
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
