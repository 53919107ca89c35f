package dev.portcheck.comparator.measure;

import dev.portcheck.comparator.report.ModelStats;
import dev.portcheck.comparator.report.PairMetrics;
import dev.portcheck.comparator.report.Tolerance;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Compares another model's activation with the reference's, one probe at a time, keeping only
 * running maxima and counts.
 */
public final class ElementwiseDiff implements ActivationDiff {
  private final Tolerance tol;
  private final boolean allowMultiset;
  private final boolean layerTap;
  private String comparedAs;
  private boolean elementwise = true;
  private boolean multisetUsed;
  private double maxAbs;
  private double maxRel;
  private double cosine = 1.0;
  private double scale;
  private long outside;
  private long total;
  private long nanMismatch;
  private boolean sawNanMismatch;
  private String sizeMismatch;
  private final Summary refStats = new Summary();
  private final Summary otherStats = new Summary();

  /**
   * @param allowMultiset accept equal values in a different element order (only when the models'
   *     layouts differ, where a Flatten legitimately reorders)
   */
  public ElementwiseDiff(Tolerance tol, boolean allowMultiset) {
    this(tol, allowMultiset, false);
  }

  /**
   * @param layerTap the tensors are layer outputs (not model outputs), where a size difference
   *     means the taps are not the same tensor rather than a numeric difference
   */
  public ElementwiseDiff(Tolerance tol, boolean allowMultiset, boolean layerTap) {
    this.tol = tol;
    this.allowMultiset = allowMultiset;
    this.layerTap = layerTap;
  }

  /** Compares one probe's tensors. */
  public void add(Tensor ref, Layout refLayout, Tensor other, Layout otherLayout) {
    add(ref, refLayout, other, otherLayout, null);
  }

  /**
   * As {@link #add(Tensor, Layout, Tensor, Layout)}, and adds {@code other} to {@code otherSummary}
   * in the same pass when the two are compared element by element in stored order.
   *
   * @return whether {@code otherSummary} got {@code other}; if not, the caller summarises it
   */
  public boolean add(
      Tensor ref, Layout refLayout, Tensor other, Layout otherLayout, Summary otherSummary) {
    LayoutMatch m = LayoutMatch.find(ref.shape(), refLayout, other.shape(), otherLayout);
    if (m == null && layerTap) {
      // Shapes no transpose or squeeze reconciles are no numeric finding: the two taps are
      // different tensors (a module called several times, of which TorchScript records one call).
      sizeMismatch = Arrays.toString(ref.shape()) + " vs " + Arrays.toString(other.shape());
      return false;
    }
    if (m == null) {
      elementwise = false;
      comparedAs = "statistics";
      refStats.add(ref);
      otherStats.add(other);
      return false;
    }
    if (comparedAs == null || !elementwise) {
      comparedAs = elementwise ? m.description() : comparedAs;
    }
    Tensor o = m.permutation() == null ? other : other.transpose(m.permutation());
    FloatBuffer a = Summary.values(ref);
    FloatBuffer b = Summary.values(o);
    double savedAbs = maxAbs;
    double savedRel = maxRel;
    double savedCos = cosine;
    long savedNan = nanMismatch;
    // Only in stored order: a transposed copy would sum in another order and move the statistics
    // in their last bits.
    Summary fused = m.permutation() == null ? otherSummary : null;
    long out = compare(a, b, fused, other.shape());
    // Only a flattened tensor can be legitimately reordered (NHWC vs NCHW flatten); trying the
    // sorted comparison on every diverging feature map would cost a sort per layer.
    if (out > 0 && allowMultiset && nanMismatch == savedNan && ref.rank() <= 2) {
      double keepAbs = maxAbs;
      double keepRel = maxRel;
      double keepCos = cosine;
      float[] sa = new float[a.limit()];
      float[] sb = new float[b.limit()];
      a.get(0, sa);
      b.get(0, sb);
      Arrays.sort(sa);
      Arrays.sort(sb);
      maxAbs = savedAbs;
      maxRel = savedRel;
      cosine = savedCos;
      if (compare(FloatBuffer.wrap(sa), FloatBuffer.wrap(sb), null, null) == 0) {
        multisetUsed = true;
        out = 0;
      } else {
        maxAbs = keepAbs;
        maxRel = keepRel;
        cosine = keepCos;
      }
    }
    outside += out;
    total += a.limit();
    return fused != null;
  }

  /** Compares element by element; returns the count outside tolerance. */
  private long compare(FloatBuffer ref, FloatBuffer other, Summary otherSum, long[] otherShape) {
    // The common case first: no test for NaN or infinity per element. A NaN or infinity on either
    // side makes a sum of squares non-finite; then the careful pass redoes the tensor.
    long out = pass(ref, other, otherSum, otherShape, false);
    return out >= 0 ? out : pass(ref, other, otherSum, otherShape, true);
  }

  /**
   * One element-wise pass: counts the elements outside tolerance (without a branch: near the
   * tolerance the outcome is random) and updates the maxima, the cosine and {@code otherSum}.
   * Without {@code careful} it returns -1, changing nothing, when it meets a NaN or infinity.
   */
  private long pass(
      FloatBuffer ref, FloatBuffer other, Summary otherSum, long[] otherShape, boolean careful) {
    // The other tensor's statistics, as Summary.add computes them (same shift, same order).
    boolean summarise = otherSum != null && other.limit() > 0;
    double shift = summarise ? other.get(0) : 0;
    double s1 = 0;
    double s2 = 0;
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    double dot = 0;
    double na = 0;
    double nb = 0;
    double atol = tol.atol();
    double rtol = tol.rtol();
    double floor = atol > 0 ? atol : Double.MIN_NORMAL;
    double mAbs = maxAbs;
    double mRel = maxRel;
    double mScale = scale;
    long out = 0;
    int len = ref.limit();
    for (int i = 0; i < len; i++) {
      float x = ref.get(i);
      float y = other.get(i);
      if (summarise) {
        double dy = y - shift;
        s1 += dy;
        s2 += dy * dy;
        lo = Math.min(lo, y);
        hi = Math.max(hi, y);
      }
      if (careful && (!Float.isFinite(x) || !Float.isFinite(y))) {
        // NaN == NaN and equal infinities count as agreeing (numpy's equal_nan); anything else
        // is a mismatch that no number describes.
        boolean same = (Float.isNaN(x) && Float.isNaN(y)) || x == y;
        if (!same) {
          out++;
          nanMismatch++;
          sawNanMismatch = true;
        }
        continue;
      }
      dot += (double) x * y;
      na += (double) x * x;
      nb += (double) y * y;
      double ax = Math.abs((double) x);
      mScale = Math.max(mScale, ax);
      double d = Math.abs((double) y - x);
      mAbs = Math.max(mAbs, d);
      double denom = Math.max(ax, floor);
      // d / denom > mRel without dividing for every element
      if (d > mRel * denom) {
        mRel = d / denom;
      }
      out += d > atol + rtol * ax ? 1 : 0;
    }
    if (!careful && !(Double.isFinite(na) && Double.isFinite(nb))) {
      return -1;
    }
    maxAbs = mAbs;
    maxRel = mRel;
    scale = mScale;
    if (otherSum != null) {
      otherSum.addPass(otherShape, other, s1, s2, lo, hi);
    }
    updateCosine(dot, na, nb);
    return out;
  }

  /** Folds one tensor's cosine similarity into the running minimum. */
  private void updateCosine(double dot, double na, double nb) {
    double c;
    if (na == 0 && nb == 0) {
      c = 1.0;
    } else if (na == 0 || nb == 0) {
      c = 0.0;
    } else {
      c = dot / Math.sqrt(na * nb);
    }
    cosine = Math.min(cosine, c);
  }

  @Override
  public String sizeMismatch() {
    return sizeMismatch;
  }

  @Override
  public boolean isEmpty() {
    return comparedAs == null;
  }

  @Override
  public PairMetrics toMetrics() {
    if (!elementwise) {
      double dm = Math.abs(otherStats.mean() - refStats.mean());
      double ds = Math.abs(otherStats.std() - refStats.std());
      boolean within =
          tol.close(otherStats.mean(), refStats.mean())
              && tol.close(otherStats.std(), refStats.std());
      ModelStats rs = refStats.toStats();
      return new PairMetrics(
          "statistics",
          false,
          Math.max(dm, ds),
          Double.NaN,
          Double.NaN,
          within ? 0 : 1,
          0,
          within,
          Math.max(Math.abs(rs.min()), Math.abs(rs.max())),
          0);
    }
    String how = multisetUsed ? "multiset" : comparedAs;
    return new PairMetrics(
        how,
        true,
        sawNanMismatch ? Double.NaN : maxAbs,
        sawNanMismatch ? Double.NaN : maxRel,
        cosine,
        total == 0 ? 0 : (double) outside / total,
        nanMismatch,
        outside == 0,
        scale,
        0);
  }
}
