package dev.portcheck.comparator.measure;

import dev.portcheck.comparator.align.Aligner;
import dev.portcheck.comparator.align.Checksum;
import dev.portcheck.comparator.align.Fold;
import dev.portcheck.comparator.align.FoldedBatchNorm;
import dev.portcheck.comparator.align.Weights;
import dev.portcheck.comparator.report.AttributeMismatch;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.comparator.report.Numbers;
import dev.portcheck.comparator.report.Tolerance;
import dev.portcheck.comparator.report.WeightKind;
import dev.portcheck.comparator.report.WeightMismatch;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Tensor;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares parameters of aligned layers in canonical layout, names the usual layout slips (a kernel
 * with H and W swapped, a Dense matrix not transposed), and checks folded Conv+BN weights against
 * the other model's BatchNorm.
 */
public final class WeightComparer {
  private final List<Weights> models;
  private final Tolerance tol;

  /** Compares the parameters of aligned layers within {@code tol}. */
  public WeightComparer(List<Weights> models, Tolerance tol) {
    this.models = models;
    this.tol = tol;
  }

  /** Findings of one row; folds are reported through {@link #compareFold}. */
  public List<WeightMismatch> compare(Aligner.Row row) {
    List<WeightMismatch> out = new ArrayList<>();
    Layer ref = row.layer(0);
    if (ref == null) {
      return out;
    }
    Map<String, String> rr = Weights.roles(ref);
    for (int k = 1; k < row.modelCount(); k++) {
      Layer l = row.layer(k);
      if (l == null || involvedInFold(row, k)) {
        continue;
      }
      Map<String, String> rk = Weights.roles(l);
      for (Map.Entry<String, String> e : rr.entrySet()) {
        String pk = rk.get(e.getKey());
        if (pk == null) {
          continue;
        }
        Map<String, String> names = new LinkedHashMap<>();
        names.put("m0", ref.name());
        names.put(ModelRef.idOf(k), l.name());
        Map<String, String> params = new LinkedHashMap<>();
        params.put("m0", e.getValue());
        params.put(ModelRef.idOf(k), pk);
        WeightMismatch m =
            models.get(0).hasValues() && models.get(k).hasValues()
                ? byValues(names, e.getKey(), params, k, l)
                : byChecksums(names, e.getKey(), params, k);
        if (m != null) {
          out.add(m);
        }
      }
    }
    return out;
  }

  private WeightMismatch byValues(
      Map<String, String> names, String role, Map<String, String> params, int k, Layer layer) {
    Tensor a = models.get(0).canonical(params.get("m0"));
    Tensor b = models.get(k).canonical(params.get(ModelRef.idOf(k)));
    if (a != null && b != null && !Arrays.equals(a.shape(), b.shape()) && sameUpToUnitAxes(a, b)) {
      // Keras' Hugging Face Conv1D keeps its bias as [1, n] where torch's is [n]: the same vector.
      b = b.reshape(a.shape());
    }
    int flattened = "weight".equals(role) && a.rank() == 2 ? flattenedChannels(k, layer, a) : 0;
    if (flattened > 0) {
      // A Dense fed by Keras' (h, w, c) Flatten must hold the reference's (c, h, w) columns
      // reordered: that reorder is the correct port, the reference's order is the bug.
      int[] hwc = flattenPermutation(flattened, (int) (a.shape()[1] / flattened));
      Tensor expected = permuteColumns(a, hwc);
      if (Arrays.equals(expected.shape(), b.shape()) && close(expected, b)) {
        return null;
      }
      if (Arrays.equals(a.shape(), b.shape()) && close(a, b)) {
        return new WeightMismatch(
            names,
            role,
            params,
            ModelRef.idOf(k),
            WeightKind.FLATTEN_ORDER,
            maxAbs(expected, b),
            shape(a),
            shape(b),
            null,
            List.of(),
            flattened,
            null);
      }
    }
    WeightKind kind = diagnose(a, b);
    if (kind == null) {
      return null;
    }
    List<Integer> perm = List.of();
    if (kind == WeightKind.VALUES_DIFFER && a.rank() == 2) {
      int[] p = columnPermutation(a, b);
      if (p != null) {
        kind = WeightKind.PERMUTED_INPUTS;
        perm = Arrays.stream(p).boxed().toList();
      }
    }
    double d = Arrays.equals(a.shape(), b.shape()) ? maxAbs(a, b) : Double.NaN;
    return new WeightMismatch(
        names, role, params, ModelRef.idOf(k), kind, d, shape(a), shape(b), null, perm, 0, null);
  }

  /**
   * The channels of the feature map that model {@code k}'s Dense {@code layer} reads through a
   * Flatten, when that model flattens channels-last and the reference channels-first and the map
   * has more than one pixel (only then do the two flatten orders differ); else 0.
   */
  private int flattenedChannels(int k, Layer layer, Tensor refWeight) {
    if (channelsLast(models.get(0)) || !channelsLast(models.get(k))) {
      return 0;
    }
    List<Layer> layers = models.get(k).model().layers();
    Map<String, Layer> producer = new java.util.HashMap<>();
    for (Layer l : layers) {
      l.outputs().forEach(t -> producer.putIfAbsent(t, l));
    }
    Layer flatten = null;
    Layer at = layer;
    // Walk back over ops that do not change the values' order to the Flatten, then over ops that
    // keep the channel count to the layer that sets it.
    for (int steps = 0; steps < 16 && at != null; steps++) {
      Layer prev =
          at.inputs().stream().map(producer::get).filter(x -> x != null).findFirst().orElse(null);
      if (prev == null) {
        return 0;
      }
      if (flatten == null) {
        if (prev.kind() == dev.portcheck.importers.api.OpKind.FLATTEN
            || prev.kind() == dev.portcheck.importers.api.OpKind.RESHAPE) {
          flatten = prev;
        } else if (prev.kind() != dev.portcheck.importers.api.OpKind.IDENTITY
            && prev.kind() != dev.portcheck.importers.api.OpKind.DROPOUT) {
          return 0;
        }
      } else {
        long c = channelsOf(models.get(k), prev);
        if (c > 0) {
          long in = refWeight.shape()[1];
          return in % c == 0 && in / c > 1 ? (int) c : 0;
        }
      }
      at = prev;
    }
    return 0;
  }

  /** The output channels a conv or normalisation sets, or 0 for other layers. */
  private static long channelsOf(Weights w, Layer l) {
    Map<String, String> roles = Weights.roles(l);
    // Shapes from the model's description: no values are read for them.
    if (l.kind() == dev.portcheck.importers.api.OpKind.CONV && roles.containsKey("weight")) {
      long[] s = w.canonicalShape(roles.get("weight"));
      return s == null || s.length == 0 ? 0 : s[0];
    }
    if (l.kind().isNormalization() && roles.containsKey("scale")) {
      long[] s = w.canonicalShape(roles.get("scale"));
      return s == null ? 0 : Tensor.elementCount(s);
    }
    return 0;
  }

  private static boolean channelsLast(Weights w) {
    return w.model().inputs().stream()
        .anyMatch(i -> i.layout() == dev.portcheck.importers.api.Layout.NHWC);
  }

  /** {@code p[j]}: the (c, h, w) index of the (h, w, c) flatten's feature {@code j}. */
  static int[] flattenPermutation(int channels, int pixels) {
    int[] p = new int[channels * pixels];
    for (int px = 0; px < pixels; px++) {
      for (int c = 0; c < channels; c++) {
        p[px * channels + c] = c * pixels + px;
      }
    }
    return p;
  }

  /** Column {@code j} of the result is column {@code p[j]} of {@code m} ([out, in]). */
  private static Tensor permuteColumns(Tensor m, int[] p) {
    int out = (int) m.shape()[0];
    int in = (int) m.shape()[1];
    float[] src = m.toFloatArray();
    float[] dst = new float[src.length];
    for (int o = 0; o < out; o++) {
      for (int j = 0; j < in; j++) {
        dst[o * in + j] = src[o * in + p[j]];
      }
    }
    return Tensor.ofFloats(m.shape(), dst);
  }

  /**
   * The permutation {@code p} with other's column {@code j} equal (within tolerance) to ref's
   * column {@code p[j]}, or null. Columns are matched through their sums, sorted, so that a wide
   * layer costs a sort and a few comparisons per column rather than all pairs.
   */
  private int[] columnPermutation(Tensor ref, Tensor other) {
    if (!Arrays.equals(ref.shape(), other.shape())) {
      return null;
    }
    int out = (int) ref.shape()[0];
    int in = (int) ref.shape()[1];
    float[] a = ref.toFloatArray();
    float[] b = other.toFloatArray();
    double[] sa = new double[in];
    double[] sb = new double[in];
    double slack = 0;
    for (int o = 0; o < out; o++) {
      for (int j = 0; j < in; j++) {
        sa[j] += a[o * in + j];
        sb[j] += b[o * in + j];
        slack += tol.atol() + tol.rtol() * Math.abs(a[o * in + j]);
      }
    }
    slack /= in; // the summed tolerance of one column, on average
    Integer[] order = new Integer[in];
    for (int j = 0; j < in; j++) {
      order[j] = j;
    }
    Arrays.sort(order, java.util.Comparator.comparingDouble(j -> sa[j]));
    double[] sorted = new double[in];
    for (int j = 0; j < in; j++) {
      sorted[j] = sa[order[j]];
    }
    int[] p = new int[in];
    boolean[] used = new boolean[in];
    boolean identity = true;
    for (int j = 0; j < in; j++) {
      int lo = lowerBound(sorted, sb[j] - 2 * slack);
      int found = -1;
      for (int c = lo; c < in && sorted[c] <= sb[j] + 2 * slack && found < 0; c++) {
        int i = order[c];
        if (!used[i] && sameColumn(a, i, b, j, out, in)) {
          found = i;
        }
      }
      if (found < 0) {
        return null;
      }
      used[found] = true;
      p[j] = found;
      identity &= found == j;
    }
    return identity ? null : p;
  }

  private boolean sameColumn(float[] a, int i, float[] b, int j, int out, int in) {
    for (int o = 0; o < out; o++) {
      if (!tol.close(b[o * in + j], a[o * in + i])) {
        return false;
      }
    }
    return true;
  }

  private static int lowerBound(double[] sorted, double v) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * Where a side keeps checksums only (a baseline): identical, within the weight tolerance (the
   * random projections bound the element-wise difference), an H↔W slip, the same values in another
   * order, or changed.
   */
  private WeightMismatch byChecksums(
      Map<String, String> names, String role, Map<String, String> params, int k) {
    Checksum x = models.get(0).checksum(params.get("m0"));
    Checksum y = models.get(k).checksum(params.get(ModelRef.idOf(k)));
    if (x == null || y == null || x.identical(y) || x.close(y, tol.atol(), tol.rtol())) {
      return null;
    }
    WeightKind kind;
    if (!x.shape().equals(y.shape())) {
      kind = WeightKind.SHAPE_DIFFERS;
    } else if (x.hwSwapOf(y, tol.atol(), tol.rtol())) {
      kind = WeightKind.HW_SLIP;
    } else if (x.sameValuesAnyOrder(y)) {
      kind = WeightKind.REORDERED;
    } else {
      kind = WeightKind.VALUES_DIFFER;
    }
    return new WeightMismatch(
        names,
        role,
        params,
        ModelRef.idOf(k),
        kind,
        Double.NaN,
        x.shape(),
        y.shape(),
        new WeightMismatch.Digests(x.sha256(), y.sha256(), Math.sqrt(x.l2()), Math.sqrt(y.l2())));
  }

  private static boolean sameUpToUnitAxes(Tensor a, Tensor b) {
    return Arrays.equals(
        Arrays.stream(a.shape()).filter(d -> d != 1).toArray(),
        Arrays.stream(b.shape()).filter(d -> d != 1).toArray());
  }

  private static boolean involvedInFold(Aligner.Row row, int k) {
    return row.folds().stream().anyMatch(f -> f.bnModel() == k || f.foldedModel() == k);
  }

  private static List<Long> shape(Tensor t) {
    return Arrays.stream(t.shape()).boxed().toList();
  }

  /** Null when equal within tolerance, else what the difference looks like. */
  WeightKind diagnose(Tensor ref, Tensor other) {
    long[] s = ref.shape();
    long[] o = other.shape();
    if (Arrays.equals(s, o) && close(ref, other)) {
      return null;
    }
    if (s.length == 4) {
      Tensor hw = ref.transpose(0, 1, 3, 2);
      if (Arrays.equals(hw.shape(), o) && close(hw, other)) {
        return WeightKind.HW_SLIP;
      }
      Tensor io = ref.transpose(1, 0, 2, 3);
      if (Arrays.equals(io.shape(), o) && close(io, other)) {
        return WeightKind.IO_SLIP;
      }
      if (Arrays.equals(s, o) && s[1] > 1 && close(reverseAxis1(ref), other)) {
        return WeightKind.CHANNELS_REVERSED;
      }
      if (Arrays.equals(s, o) && (s[2] > 1 || s[3] > 1) && close(rotate180(ref), other)) {
        return WeightKind.KERNEL_FLIPPED;
      }
    }
    if (s.length == 2) {
      Tensor t = ref.transpose(1, 0);
      if (Arrays.equals(t.shape(), o) && close(t, other)) {
        return WeightKind.LINEAR_NOT_TRANSPOSED;
      }
    }
    return Arrays.equals(s, o) ? WeightKind.VALUES_DIFFER : WeightKind.SHAPE_DIFFERS;
  }

  /**
   * Checks model {@code f.foldedModel}'s conv against model {@code f.bnModel}'s conv+BN with that
   * BN's own epsilon. Returns an epsilon mismatch when the weights are explained by another
   * epsilon, a weight mismatch when they are not explained at all, else nothing.
   */
  public void compareFold(
      Aligner.Row row, Fold f, List<AttributeMismatch> attrs, List<WeightMismatch> weights) {
    if (Double.isNaN(f.inferredEpsilon())) {
      return; // a fold seen in the graph only: no values to check it with
    }
    Weights bw = models.get(f.bnModel());
    Weights fw = models.get(f.foldedModel());
    Layer conv = bw.model().layers().get(f.rawConv());
    Layer bn = bw.model().layers().get(f.bn());
    Layer folded = fw.model().layers().get(f.foldedConv());
    Map<String, String> cr = Weights.roles(conv);
    Map<String, String> fr = Weights.roles(folded);
    Map<String, String> names = new LinkedHashMap<>();
    String bnId = ModelRef.idOf(f.bnModel());
    String foldId = ModelRef.idOf(f.foldedModel());
    names.put(bnId, bn.name());
    names.put(foldId, folded.name());
    // Measured by the aligner on the kernels it read to find the fold: read again only to name
    // what went wrong when they do not fit.
    FoldedBatchNorm.Fit fit = f.fit();
    double eps = fit.epsilon();
    double werr = fit.weightError();
    double berr = fit.biasError();
    double bound = tol.atol() + tol.rtol() * fit.foldedMaxAbs();
    boolean epsDiffers =
        bn.epsilon().isPresent()
            && !AttributeComparer.same(
                "epsilon", AttributeValue.of(eps), AttributeValue.of(f.inferredEpsilon()));
    if (epsDiffers) {
      Map<String, AttributeValue> values = new LinkedHashMap<>();
      values.put(bnId, AttributeValue.of(eps));
      values.put(foldId, AttributeValue.of(Numbers.round(f.inferredEpsilon(), 3)));
      Map<String, String> ordered = orderById(names);
      attrs.add(new AttributeMismatch(ordered, "epsilon", orderById(values), foldId));
    } else if (werr > bound || berr > bound) {
      Map<String, String> params = new LinkedHashMap<>();
      params.put(bnId, cr.get("weight"));
      params.put(foldId, fr.get("weight"));
      Tensor raw = bw.canonical(cr.get("weight"));
      Tensor fk = fw.canonical(fr.get("weight"));
      Map<String, String> br = Weights.roles(bn);
      double[] scales =
          FoldedBatchNorm.expectedScales(
              bw.canonical(br.get("scale")), bw.canonical(br.get("variance")), eps);
      WeightKind slip = werr > bound ? unfoldedSlip(raw, fk, scales, f.bnModel() == 0) : null;
      if (slip != null) {
        weights.add(
            new WeightMismatch(
                orderById(names),
                "weight",
                orderById(params),
                foldId,
                slip,
                werr,
                shape(raw),
                shape(fk),
                null,
                List.of(),
                0,
                bn.name()));
        return;
      }
      weights.add(
          new WeightMismatch(
              orderById(names),
              werr > bound ? "weight" : "bias",
              orderById(params),
              foldId,
              WeightKind.FOLDED_MISMATCH,
              Math.max(werr, berr),
              shape(raw),
              shape(fk),
              null));
    }
  }

  /**
   * What the folded kernel is once the BatchNorm is taken out of it ({@code w_folded / s_c} per
   * output channel): a layout slip of the raw kernel (H<->W, flipped, ...), or null when it is none
   * of the catalogue's. The reference's kernel is the expected one, whichever side folded.
   */
  private WeightKind unfoldedSlip(Tensor raw, Tensor folded, double[] scales, boolean rawIsRef) {
    int per = folded.size() / scales.length;
    float[] v = new float[folded.size()];
    for (int i = 0; i < v.length; i++) {
      double s = scales[i / per];
      if (s == 0 || !Double.isFinite(s)) {
        return null;
      }
      v[i] = (float) (folded.getFloat(i) / s);
    }
    Tensor unfolded = Tensor.ofFloats(folded.shape(), v);
    WeightKind k = rawIsRef ? diagnose(raw, unfolded) : diagnose(unfolded, raw);
    return k == null || k == WeightKind.VALUES_DIFFER || k == WeightKind.SHAPE_DIFFERS ? null : k;
  }

  private static <V> Map<String, V> orderById(Map<String, V> m) {
    Map<String, V> out = new LinkedHashMap<>();
    m.keySet().stream().sorted().forEach(k -> out.put(k, m.get(k)));
    return out;
  }

  /** Elements compared at a time, read in bulk from both tensors. */
  private static final int BLOCK = 4096;

  private boolean close(Tensor a, Tensor b) {
    FloatBuffer x = FoldedBatchNorm.floats(a);
    FloatBuffer y = FoldedBatchNorm.floats(b);
    int size = a.size();
    float[] p = new float[Math.min(size, BLOCK)];
    float[] q = new float[p.length];
    for (int at = 0; at < size; at += p.length) {
      int n = Math.min(p.length, size - at);
      x.get(at, p, 0, n);
      y.get(at, q, 0, n);
      for (int i = 0; i < n; i++) {
        if (!tol.close(q[i], p[i])) {
          return false;
        }
      }
    }
    return true;
  }

  private static double maxAbs(Tensor a, Tensor b) {
    FloatBuffer x = FoldedBatchNorm.floats(a);
    FloatBuffer y = FoldedBatchNorm.floats(b);
    int size = a.size();
    float[] p = new float[Math.min(size, BLOCK)];
    float[] q = new float[p.length];
    double m = 0;
    for (int at = 0; at < size; at += p.length) {
      int n = Math.min(p.length, size - at);
      x.get(at, p, 0, n);
      y.get(at, q, 0, n);
      for (int i = 0; i < n; i++) {
        m = Math.max(m, Math.abs((double) p[i] - q[i]));
      }
    }
    return m;
  }

  /** The kernel with H and W both reversed (OIHW). */
  private static Tensor rotate180(Tensor t) {
    long[] s = t.shape();
    float[] src = t.toFloatArray();
    float[] dst = new float[src.length];
    int h = (int) s[2];
    int w = (int) s[3];
    int planes = (int) (s[0] * s[1]);
    for (int p = 0; p < planes; p++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          dst[(p * h + y) * w + x] = src[(p * h + (h - 1 - y)) * w + (w - 1 - x)];
        }
      }
    }
    return Tensor.ofFloats(s, dst);
  }

  private static Tensor reverseAxis1(Tensor t) {
    long[] s = t.shape();
    float[] src = t.toFloatArray();
    float[] dst = new float[src.length];
    int inner = (int) (s[2] * s[3]);
    int c = (int) s[1];
    for (int o = 0; o < s[0]; o++) {
      for (int i = 0; i < c; i++) {
        System.arraycopy(src, (o * c + i) * inner, dst, (o * c + (c - 1 - i)) * inner, inner);
      }
    }
    return Tensor.ofFloats(s, dst);
  }
}
