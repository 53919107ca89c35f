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
    return add(ref, refLayout, other, otherLayout, otherSummary, null) != Fused.NONE;
  }

  /** Which summaries a comparison pass filled (the rest are left to the caller). */
  public enum Fused {
    /** Neither: the caller summarises both tensors. */
    NONE,
    /** The other tensor's summary only. */
    OTHER,
    /** Both tensors' summaries. */
    BOTH
  }

  /**
   * Compares one probe's tensors and, in the same pass, adds {@code other} to {@code otherSummary}
   * and {@code ref} to {@code refSummary} (either may be null) wherever the values are read in that
   * tensor's stored order: each summary is then exactly what {@link Summary#add} gives, and each
   * tensor is read once for everything. A transposed reference is read through the transpose, so
   * its summary is left to the caller.
   */
  public Fused add(
      Tensor ref,
      Layout refLayout,
      Tensor other,
      Layout otherLayout,
      Summary otherSummary,
      Summary refSummary) {
    LayoutMatch m = LayoutMatch.find(ref.shape(), refLayout, other.shape(), otherLayout);
    if (m == null && layerTap) {
      // Shapes no transpose or squeeze reconciles are no numeric finding: the two taps are
      // different tensors (a module called several times, of which TorchScript records one call).
      sizeMismatch = Arrays.toString(ref.shape()) + " vs " + Arrays.toString(other.shape());
      return Fused.NONE;
    }
    if (m == null) {
      elementwise = false;
      comparedAs = "statistics";
      refStats.add(ref);
      otherStats.add(other);
      return Fused.NONE;
    }
    if (comparedAs == null || !elementwise) {
      comparedAs = elementwise ? m.description() : comparedAs;
    }
    FloatBuffer a = Summary.values(ref);
    FloatBuffer b = Summary.values(other);
    // A channels-last/first pair is compared in the other tensor's stored order, reading the
    // reference through the transpose: no transposed copy, and the other tensor's statistics come
    // out of the same pass, in the order a separate pass would sum them.
    Transposed t = m.permutation() == null ? null : Transposed.of(other.shape(), m.permutation());
    if (m.permutation() != null && t == null) {
      b = Summary.values(other.transpose(m.permutation()));
    }
    double savedAbs = maxAbs;
    double savedRel = maxRel;
    double savedCos = cosine;
    long savedNan = nanMismatch;
    Summary fused = m.permutation() == null || t != null ? otherSummary : null;
    Summary refFused = m.permutation() == null && fused != null ? refSummary : null;
    long out = fastPass(a, b, t, fused, other.shape(), refFused, ref.shape());
    if (out < 0) {
      // A NaN or infinity: element by element, in the reference's order, with the statistics
      // taken by the summaries' own careful passes.
      FloatBuffer inOrder = t == null ? b : Summary.values(other.transpose(m.permutation()));
      out = carefulPass(a, inOrder);
      if (fused != null) {
        fused.add(other);
      }
      if (refFused != null) {
        refFused.add(ref);
      }
    }
    // Only a flattened tensor can be legitimately reordered (NHWC vs NCHW flatten); trying the
    // sorted comparison on every diverging feature map would cost a sort per layer.
    if (out > 0 && allowMultiset && nanMismatch == savedNan && ref.rank() <= 2 && t == null) {
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
      FloatBuffer fa = FloatBuffer.wrap(sa);
      FloatBuffer fb = FloatBuffer.wrap(sb);
      long sorted = fastPass(fa, fb, null, null, null, null, null);
      if (sorted < 0) {
        sorted = carefulPass(fa, fb);
      }
      if (sorted == 0) {
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
    return fused == null ? Fused.NONE : refFused == null ? Fused.OTHER : Fused.BOTH;
  }

  /**
   * The common case: no test for NaN or infinity per element, chunk by chunk through the process's
   * {@link Kernel}. Returns the count outside tolerance and updates the maxima, the cosine and
   * {@code otherSum}; or returns -1, changing nothing, when a value is not finite (a NaN or
   * infinity on either side makes a sum of squares non-finite).
   *
   * @param t how the reference is read in {@code other}'s order, or null for the same order
   */
  private long fastPass(
      FloatBuffer ref,
      FloatBuffer other,
      Transposed t,
      Summary otherSum,
      long[] otherShape,
      Summary refSum,
      long[] refShape) {
    int len = ref.limit();
    Moments otherMoments = otherSum == null ? null : new Moments(len == 0 ? 0 : other.get(0));
    Moments refMoments = refSum == null ? null : new Moments(len == 0 ? 0 : ref.get(0));
    double atol = tol.atol();
    double floor = atol > 0 ? atol : Double.MIN_NORMAL;
    PassSums sums = new PassSums();
    sums.maxAbs = maxAbs;
    sums.maxRel = maxRel;
    sums.scale = scale;
    Kernel kernel = Kernel.get();
    float[] xs = new float[Math.min(len, Kernel.CHUNK)];
    float[] ys = new float[xs.length];
    float[] run = t == null ? null : new float[Math.min(t.rows(), xs.length)];
    for (int off = 0; off < len; off += Kernel.CHUNK) {
      int n = Math.min(Kernel.CHUNK, len - off);
      other.get(off, ys, 0, n);
      if (t == null) {
        ref.get(off, xs, 0, n);
      } else {
        t.gather(ref, off, n, xs, run);
      }
      // The chunks are Summary.add's, so the statistics are its own to the last bit.
      if (otherMoments != null) {
        kernel.stats(ys, n, otherMoments);
      }
      if (refMoments != null) {
        kernel.stats(xs, n, refMoments);
      }
      kernel.compare(xs, ys, n, atol, tol.rtol(), floor, sums);
    }
    if (!sums.finite()) {
      return -1;
    }
    maxAbs = sums.maxAbs;
    maxRel = sums.maxRel;
    scale = sums.scale;
    if (otherMoments != null) {
      otherMoments.addTo(otherSum, otherShape, other);
    }
    if (refMoments != null) {
      refMoments.addTo(refSum, refShape, ref);
    }
    updateCosine(sums.dot, sums.na, sums.nb);
    return sums.outside;
  }

  /** Element by element in the same order, NaN- and infinity-aware; returns the count outside. */
  private long carefulPass(FloatBuffer ref, FloatBuffer other) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    double atol = tol.atol();
    double rtol = tol.rtol();
    double floor = atol > 0 ? atol : Double.MIN_NORMAL;
    long out = 0;
    int len = ref.limit();
    for (int i = 0; i < len; i++) {
      float x = ref.get(i);
      float y = other.get(i);
      if (!Float.isFinite(x) || !Float.isFinite(y)) {
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
      scale = Math.max(scale, ax);
      double d = Math.abs((double) y - x);
      maxAbs = Math.max(maxAbs, d);
      maxRel = Math.max(maxRel, d / Math.max(ax, floor));
      out += d > atol + rtol * ax ? 1 : 0;
    }
    updateCosine(dot, na, nb);
    return out;
  }

  /**
   * The reference read in the order of an other tensor stored as {@code [batches, rows, cols]}
   * whose transpose is the reference's {@code [batches, cols, rows]}: NHWC against NCHW ({@code
   * rows} = H·W, {@code cols} = C) and NCHW against NHWC ({@code rows} = C, {@code cols} = H·W).
   */
  record Transposed(int batches, int rows, int cols) {
    /**
     * The reading for {@code perm} applied to {@code shape}, or null when it is not one of these.
     */
    static Transposed of(long[] shape, int[] perm) {
      int r = shape.length;
      if (r < 3 || perm.length != r || perm[0] != 0) {
        return null;
      }
      boolean toFirst = perm[1] == r - 1;
      boolean toLast = perm[r - 1] == 1;
      for (int i = 2; i < r; i++) {
        toFirst &= perm[i] == i - 1;
      }
      for (int i = 1; i < r - 1; i++) {
        toLast &= perm[i] == i + 1;
      }
      if (!toFirst && !toLast) {
        return null;
      }
      int split = toFirst ? r - 1 : 2;
      long rows = 1;
      long cols = 1;
      for (int i = 1; i < r; i++) {
        if (i < split) {
          rows *= shape[i];
        } else {
          cols *= shape[i];
        }
      }
      return new Transposed((int) shape[0], (int) rows, (int) cols);
    }

    /**
     * Copies the reference's values for the other's stored positions {@code [off, off + n)} into
     * {@code dst}, using {@code run} (at least {@code min(rows, n)} long) as scratch.
     */
    void gather(FloatBuffer ref, int off, int n, float[] dst, float[] run) {
      int plane = rows * cols;
      int k = 0;
      while (k < n) {
        int pos = off + k;
        int base = pos / plane * plane;
        int i = pos % plane / cols;
        int j = pos % cols;
        // Whole rows of the other tensor within one batch: the reference holds each of their
        // columns as a contiguous run (one bulk read per column instead of a read per element).
        int whole = j == 0 ? Math.min((n - k) / cols, rows - i) : 0;
        if (whole >= 16) {
          for (int c = 0; c < cols; c++) {
            ref.get(base + c * rows + i, run, 0, whole);
            for (int t = 0, d = k + c; t < whole; t++, d += cols) {
              dst[d] = run[t];
            }
          }
          k += whole * cols;
          continue;
        }
        // The rest of this row, element by element.
        int end = Math.min(n, k + cols - j);
        for (int idx = base + j * rows + i; k < end; k++, idx += rows) {
          dst[k] = ref.get(idx);
        }
      }
    }
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
