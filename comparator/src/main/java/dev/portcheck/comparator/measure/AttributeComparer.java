package dev.portcheck.comparator.measure;

import dev.portcheck.comparator.align.Aligner;
import dev.portcheck.comparator.align.Weights;
import dev.portcheck.comparator.report.AttributeMismatch;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.OpRole;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.WeightLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Compares attributes of aligned layers after normalising how frameworks spell them: TF's
 * SAME/VALID padding becomes explicit pads where the kernel says how much, NHWC strides {@code [1,
 * s, s, 1]} become {@code [s, s]}, resize mode spellings are unified. Momentum is deliberately not
 * compared: Keras and PyTorch define it as complements and it does not affect inference.
 */
public final class AttributeComparer {
  /** How a resize maps output to input coordinates (ONNX Resize's attribute name). */
  static final String COORDINATES = "coordinate_transformation_mode";

  /** Compared in this order: epsilon first, the usual port bug. */
  static final List<String> COMPARED =
      List.of(
          "epsilon",
          "pads",
          "strides",
          "dilations",
          "group",
          "kernel_shape",
          "mode",
          COORDINATES,
          "approximate",
          "activation",
          "alpha",
          "min",
          "max");

  private static final Set<String> SPATIAL = Set.of("strides", "dilations", "kernel_shape");

  /**
   * TF's FusedBatchNorm raises epsilon to at least 1.001e-5, so a Keras port of a PyTorch 1e-5
   * reads 1.001e-5; values within 1% are the same setting.
   */
  static final double EPSILON_RELATIVE_TOLERANCE = 0.01;

  private final List<Weights> models;
  private final Map<Integer, Map<String, Layer>> producerMaps = new HashMap<>();
  private final Map<Integer, Map<String, long[]>> inputSizes = new HashMap<>();
  private final Map<Integer, Map<String, long[]>> measuredShapes = new HashMap<>();
  private final Map<Integer, Map<String, long[]>> pooledSizes = new HashMap<>();

  /** Compares attributes of the models whose parameters these are (kernels give sizes). */
  public AttributeComparer(List<Weights> models) {
    this.models = models;
  }

  /** Mismatches of one row, one record per attribute, values of every model holding it. */
  public List<AttributeMismatch> compare(Aligner.Row row) {
    List<AttributeMismatch> out = new ArrayList<>();
    Layer ref = row.layer(0);
    if (ref == null) {
      return out;
    }
    for (String attr : COMPARED) {
      AttributeValue rv = normalised(0, ref, attr);
      if (rv == null) {
        continue;
      }
      Map<String, String> names = new LinkedHashMap<>();
      Map<String, AttributeValue> values = new LinkedHashMap<>();
      names.put(ModelRef.idOf(0), ref.name());
      values.put(ModelRef.idOf(0), rv);
      boolean differs = false;
      for (int k = 1; k < row.modelCount(); k++) {
        Layer l = row.layer(k);
        AttributeValue v = l == null ? null : normalised(k, l, attr);
        if (v == null) {
          continue;
        }
        names.put(ModelRef.idOf(k), l.name());
        values.put(ModelRef.idOf(k), v);
        differs |= !same(attr, rv, v);
      }
      if (differs) {
        out.add(new AttributeMismatch(names, attr, values, null));
      }
    }
    if (isPool(ref)) {
      out.addAll(poolCoverage(row));
    }
    if (ref.kind() == OpKind.SOFTMAX) {
      AttributeMismatch axis = softmaxAxis(row);
      if (axis != null) {
        out.add(axis);
      }
    }
    return out;
  }

  /**
   * Softmax axes compared in the reference's axis order: each model's axis (negative counts from
   * the end) is carried through the layout reading that makes its measured output agree with the
   * reference's — Keras' {@code Softmax(axis=-1)} on NHWC is PyTorch's {@code dim=1} on NCHW, and
   * Keras' {@code axis=1} there is PyTorch's {@code dim=2}, the height. Before a run has measured
   * the shapes the axes are not compared (the layouts are not known).
   */
  private AttributeMismatch softmaxAxis(Aligner.Row row) {
    Layer ref = row.layer(0);
    long[] refShape = measuredShapes.getOrDefault(0, Map.of()).get(ref.name());
    Long refAxis = axis(ref, refShape);
    if (refAxis == null) {
      return null;
    }
    Map<String, String> names = new LinkedHashMap<>();
    Map<String, AttributeValue> values = new LinkedHashMap<>();
    names.put(ModelRef.idOf(0), ref.name());
    values.put(ModelRef.idOf(0), AttributeValue.of(refAxis));
    boolean differs = false;
    for (int k = 1; k < row.modelCount(); k++) {
      Layer l = row.layer(k);
      long[] shape = l == null ? null : measuredShapes.getOrDefault(k, Map.of()).get(l.name());
      Long a = l == null || l.kind() != OpKind.SOFTMAX ? null : axis(l, shape);
      LayoutMatch m =
          a == null ? null : LayoutMatch.find(refShape, ref.layout(), shape, l.layout());
      if (m == null) {
        continue;
      }
      long mapped = a;
      int[] p = m.permutation();
      for (int i = 0; p != null && i < p.length; i++) {
        if (p[i] == a) {
          mapped = i;
        }
      }
      names.put(ModelRef.idOf(k), l.name());
      values.put(ModelRef.idOf(k), AttributeValue.of(mapped));
      differs |= mapped != refAxis;
    }
    return differs ? new AttributeMismatch(names, "axis", values, null) : null;
  }

  /**
   * How a pool covers its input, compared where it changes the result. {@code ceil_mode}: PyTorch
   * and ONNX round the pooled size up with ceil_mode, TensorFlow's SAME does (ceil(in / stride),
   * its end pad gives the same windows), VALID rounds down — named only when the measured output
   * sizes differ (8×8 vs 7×7 is the evidence) and the rounding does. {@code count_include_pad}
   * (average pools with pads in both models): PyTorch's default and an explicit ZeroPadding2D count
   * the pads in the divisor, TensorFlow's SAME and ONNX's default do not.
   */
  private List<AttributeMismatch> poolCoverage(Aligner.Row row) {
    List<AttributeMismatch> out = new ArrayList<>();
    Layer ref = row.layer(0);
    long[] refOut = pooledSize(0, ref);
    Long refCeil = ceilMode(ref);
    Long refCount = countsPads(0, ref);
    Map<String, String> names = new LinkedHashMap<>();
    Map<String, AttributeValue> ceil = new LinkedHashMap<>();
    Map<String, AttributeValue> count = new LinkedHashMap<>();
    names.put(ModelRef.idOf(0), ref.name());
    boolean ceilDiffers = false;
    boolean countDiffers = false;
    for (int k = 1; k < row.modelCount(); k++) {
      Layer l = row.layer(k);
      if (!isPool(l) || l.kind() != ref.kind()) {
        continue;
      }
      String id = ModelRef.idOf(k);
      long[] o = pooledSize(k, l);
      Long c = ceilMode(l);
      if (refOut != null && o != null && !java.util.Arrays.equals(refOut, o) && c != null) {
        names.put(id, l.name());
        ceil.put(id, AttributeValue.of(c));
        ceilDiffers |= refCeil != null && !refCeil.equals(c);
      }
      Long n = countsPads(k, l);
      if (refCount != null && n != null) {
        names.put(id, l.name());
        count.put(id, AttributeValue.of(n));
        countDiffers |= !refCount.equals(n);
      }
    }
    if (ceilDiffers) {
      ceil.put(ModelRef.idOf(0), AttributeValue.of(refCeil));
      out.add(new AttributeMismatch(names, "ceil_mode", first(ceil), null));
    }
    if (countDiffers) {
      count.put(ModelRef.idOf(0), AttributeValue.of(refCount));
      out.add(new AttributeMismatch(names, "count_include_pad", first(count), null));
    }
    return out;
  }

  /** The reference's value (put last) moved to the front, as every mismatch lists it. */
  private static Map<String, AttributeValue> first(Map<String, AttributeValue> values) {
    Map<String, AttributeValue> out = new LinkedHashMap<>();
    String ref = ModelRef.idOf(0);
    out.put(ref, values.get(ref));
    values.forEach(out::putIfAbsent);
    return out;
  }

  /** 1 when the pool rounds its output size up (ceil_mode, TF's SAME), 0 down, null unknown. */
  private static Long ceilMode(Layer l) {
    if (l.attributes().get("ceil_mode") instanceof AttributeValue.Int i) {
      return i.value() != 0 ? 1L : 0L;
    }
    if (l.attributes().get("padding") instanceof AttributeValue.Str s) {
      String p = s.value().toUpperCase(Locale.ROOT);
      return p.equals("SAME") ? 1L : p.equals("VALID") ? 0L : null;
    }
    return null;
  }

  /**
   * 1 when an average pool divides border windows by the kernel size (pads counted), 0 when by the
   * real pixels; null for a pool without pads (nothing to count) or one that does not say.
   */
  private Long countsPads(int model, Layer l) {
    if (l.kind() != OpKind.AVG_POOL) {
      return null;
    }
    if (l.attributes().get("padding") instanceof AttributeValue.Str s) {
      String p = s.value().toUpperCase(Locale.ROOT);
      if (p.equals("SAME")) {
        // TF's SAME average pool excludes the pads from the divisor (stride 1: always pads).
        long[] k = kernel(model, l);
        return k != null && (k[0] > 1 || k[1] > 1) ? 0L : null;
      }
      if (p.equals("VALID")) {
        // Zeros padded explicitly in front (ZeroPadding2D) are pixels to the pool: counted.
        List<Long> pads = pads(model, l);
        return pads != null && pads.stream().anyMatch(x -> x != 0) ? 1L : null;
      }
      return null;
    }
    List<Long> pads = pads(model, l);
    if (pads == null || pads.stream().allMatch(x -> x == 0)) {
      return zeroPadFeeding(model, l) != null ? 1L : null;
    }
    return l.attributes().get("count_include_pad") instanceof AttributeValue.Int i
        ? (i.value() != 0 ? 1L : 0L)
        : null;
  }

  /** The pool's output [H, W] as the run measured it, or null. */
  private long[] pooledSize(int model, Layer l) {
    return pooledSizes.getOrDefault(model, Map.of()).get(l.name());
  }

  /** The layer's softmax axis counted from the front of its measured shape, or null. */
  private static Long axis(Layer l, long[] shape) {
    if (shape == null || !(l.attributes().get("axis") instanceof AttributeValue.Int i)) {
      return null;
    }
    long a = i.value() < 0 ? i.value() + shape.length : i.value();
    return a >= 0 && a < shape.length ? a : null;
  }

  /**
   * The layers of this row whose compared attributes depend on a size only a run measures, by
   * model, each with the layer whose output to measure ({@link #inputSize}) before the row is
   * compared again: TF's SAME padding with stride > 1 (the layer producing the input), a softmax's
   * axis (its own output: the layout it is counted in), a pool's rounding (its own output size).
   */
  public Map<Integer, Layer> sizeDependent(Aligner.Row row) {
    Map<Integer, Layer> out = new LinkedHashMap<>();
    if (row.layer(0) != null
        && row.layer(0).kind() == OpKind.SOFTMAX
        && row.layer(0).attributes().containsKey("axis")) {
      // A softmax axis means something only in its tensor's layout: its own output's shape.
      for (int m = 0; m < row.modelCount(); m++) {
        Layer l = row.layer(m);
        if (l != null && l.kind() == OpKind.SOFTMAX && l.attributes().containsKey("axis")) {
          out.put(m, l);
        }
      }
      return out.size() > 1 ? out : Map.of();
    }
    for (int m = 0; m < row.modelCount(); m++) {
      Layer l = row.layer(m);
      // Convolutions only: a pool's SAME end pixel matches PyTorch's ceil_mode (same windows),
      // so its explicit pads alone would call a correct port wrong; a transposed conv's SAME
      // follows another formula.
      if (l != null
          && l.kind() == OpKind.CONV
          && l.attributes().get("padding") instanceof AttributeValue.Str s
          && s.value().equalsIgnoreCase("SAME")
          && ints(l, "strides", List.of(1L, 1L)).stream().anyMatch(x -> x != 1)
          && !l.inputs().isEmpty()) {
        Layer p = producers(m).get(l.inputs().get(0));
        if (p != null) {
          out.put(m, p);
        }
      }
    }
    if (isPool(row.layer(0))) {
      // Whether two pools cover their input with the same windows (ceil_mode, SAME, pads) shows
      // in their output sizes: the pool's own output is measured.
      for (int m = 0; m < row.modelCount(); m++) {
        if (isPool(row.layer(m))) {
          out.put(m, row.layer(m));
        }
      }
      if (out.size() < 2) {
        out.clear();
      }
    }
    return out;
  }

  private static boolean isPool(Layer l) {
    return l != null && (l.kind() == OpKind.MAX_POOL || l.kind() == OpKind.AVG_POOL);
  }

  /**
   * Records the shape the run produced for {@code layer} in {@code model} (the output of the layer
   * {@link #sizeDependent} named: its input's producer, or a softmax's or pool's own), read in the
   * layer's own layout.
   */
  public void inputSize(int model, Layer layer, long[] shape) {
    measuredShapes.computeIfAbsent(model, m -> new HashMap<>()).put(layer.name(), shape.clone());
    if (shape.length != 4) {
      return;
    }
    // The importer's convention resolves what the layer does not declare (TorchScript modules).
    boolean nchw = models.get(model).model().activationLayout(layer.name(), 4) == Layout.NCHW;
    long[] hw = nchw ? new long[] {shape[2], shape[3]} : new long[] {shape[1], shape[2]};
    // A pool's own output is what sizeDependent named (its size is the evidence, not an input).
    (isPool(layer) ? pooledSizes : inputSizes)
        .computeIfAbsent(model, m -> new HashMap<>())
        .put(layer.name(), hw);
  }

  /** Whether two values of a compared attribute are the same setting (epsilon within 1%). */
  public static boolean same(String attr, AttributeValue x, AttributeValue y) {
    if (x instanceof AttributeValue.Float fx && y instanceof AttributeValue.Float fy) {
      double tol = attr.equals("epsilon") ? EPSILON_RELATIVE_TOLERANCE : 1e-6;
      return Math.abs(fx.value() - fy.value())
          <= tol * Math.max(Math.abs(fx.value()), Math.abs(fy.value()));
    }
    if (x instanceof AttributeValue.Ints ix && y instanceof AttributeValue.Ints iy) {
      List<Long> a = ix.values();
      List<Long> b = iy.values();
      if (a.size() == 1 && b.size() > 1) {
        return b.stream().allMatch(a.get(0)::equals);
      }
      if (b.size() == 1 && a.size() > 1) {
        return a.stream().allMatch(b.get(0)::equals);
      }
      return a.equals(b);
    }
    if (x instanceof AttributeValue.Int ix && y instanceof AttributeValue.Int iy) {
      return ix.value() == iy.value();
    }
    return x.render().equalsIgnoreCase(y.render());
  }

  /** The attribute as compared, or null when the layer does not say. */
  private AttributeValue normalised(int model, Layer l, String attr) {
    if (attr.equals("pads")) {
      List<Long> p = pads(model, l);
      return p == null ? null : AttributeValue.ints(p);
    }
    if (attr.equals(COORDINATES)) {
      return coordinates(l);
    }
    AttributeValue v = l.attributes().get(attr);
    if (v == null && attr.equals("approximate")) {
      return geluDecomposition(model, l);
    }
    if (v == null) {
      return null;
    }
    if (SPATIAL.contains(attr) && v instanceof AttributeValue.Ints ints) {
      return AttributeValue.ints(spatial(ints.values(), l.layout()));
    }
    if (v instanceof AttributeValue.Str s && attr.equals("approximate")) {
      return AttributeValue.of(s.value().toLowerCase(Locale.ROOT));
    }
    if (v instanceof AttributeValue.Str s) {
      return AttributeValue.of(normaliseWord(s.value()));
    }
    return v;
  }

  /**
   * A resize's coordinate mapping as ONNX Resize names it; the importers write theirs so (TF's
   * {@code align_corners}/{@code half_pixel_centers}, PyTorch's {@code align_corners}). Equivalent
   * spellings are one value: {@code pytorch_half_pixel} is {@code half_pixel} (they differ only for
   * an output of size 1), PyTorch's {@code align_corners=False} and Keras' {@code
   * UpSampling2D(interpolation='bilinear')} (half_pixel_centers) are {@code half_pixel}, TF1's
   * default resize (neither flag) is {@code asymmetric}. Nearest-neighbour resizes are not
   * compared: at the integer scale factors ports use, every mapping picks the same pixels.
   */
  private static AttributeValue coordinates(Layer l) {
    if (!(l.attributes().get(COORDINATES) instanceof AttributeValue.Str s)
        || (l.attributes().get("mode") instanceof AttributeValue.Str m
            && m.value().toLowerCase(Locale.ROOT).startsWith("nearest"))) {
      return null;
    }
    String v = s.value().toLowerCase(Locale.ROOT);
    return AttributeValue.of(v.equals("pytorch_half_pixel") ? "half_pixel" : v);
  }

  private static String normaliseWord(String s) {
    String w = s.toLowerCase(Locale.ROOT);
    return switch (w) {
      case "bilinear" -> "linear";
      case "nearest_neighbor" -> "nearest";
      case "none", "identity" -> "linear";
      default -> w;
    };
  }

  /** NHWC/NCHW 4-element lists reduced to their spatial part. */
  static List<Long> spatial(List<Long> v, Layout layout) {
    if (v.size() == 4 && v.get(0) == 1) {
      return layout == Layout.NCHW ? v.subList(2, 4) : v.subList(1, 3);
    }
    return v;
  }

  /** Explicit [top, left, bottom, right] pads, or null when they cannot be derived. */
  private List<Long> pads(int model, Layer l) {
    AttributeValue p = l.attributes().get("pads");
    if (p instanceof AttributeValue.Ints ints) {
      List<Long> v = ints.values();
      if (v.size() == 2) {
        return List.of(v.get(0), v.get(1), v.get(0), v.get(1));
      }
      return v.size() == 4 ? v : null;
    }
    AttributeValue mode = l.attributes().get("padding");
    if (!(mode instanceof AttributeValue.Str s)) {
      return null;
    }
    String m = s.value().toUpperCase(Locale.ROOT);
    if (m.equals("VALID")) {
      // Keras ports PyTorch's padding=1 as ZeroPadding2D + a VALID conv: count those pads.
      Layer pad = zeroPadFeeding(model, l);
      if (pad != null && pad.attributes().get("pads") instanceof AttributeValue.Ints pi) {
        return pi.values();
      }
      return List.of(0L, 0L, 0L, 0L);
    }
    if (!m.equals("SAME")) {
      return null;
    }
    List<Long> strides = ints(l, "strides", List.of(1L, 1L));
    List<Long> dil = ints(l, "dilations", List.of(1L, 1L));
    long[] k = kernel(model, l);
    if (k == null) {
      return null;
    }
    long[] in = new long[] {-1, -1};
    if (strides.stream().anyMatch(x -> x != 1) && l.kind() != OpKind.CONV) {
      // A pool's SAME end pixel is PyTorch's ceil_mode (the same windows): compared as the
      // window coverage (ceil_mode), not as pads that would call a correct port wrong.
      return null;
    }
    if (strides.stream().anyMatch(x -> x != 1)) {
      // With stride > 1, SAME depends on the input size: known once a run has measured it.
      in = inputSizes.getOrDefault(model, Map.of()).get(l.name());
      if (in == null) {
        return null;
      }
    }
    long th = samePadding(in[0], strides.get(0), k[0], dil.get(0));
    long tw =
        samePadding(
            in[1], strides.get(strides.size() > 1 ? 1 : 0), k[1], dil.get(dil.size() > 1 ? 1 : 0));
    // TF puts the odd extra pixel at the bottom/right.
    return List.of(th / 2, tw / 2, th - th / 2, tw - tw / 2);
  }

  /**
   * A GELU that an exporter wrote out as elementwise ops (torch.onnx at opset < 20: exact GELU as
   * {@code x * 0.5 * (1 + Erf(x / sqrt 2))}, the tanh form as {@code Mul, Pow, Tanh, Add ...}) is
   * aligned by its last op; the op that tells the forms apart lies a few nodes upstream: an {@code
   * Erf} means exact ({@code none}), a {@code Tanh} the approximation. The walk stops at layers
   * with weights (the layer feeding the GELU), so it never reads another layer's ops.
   */
  private AttributeValue geluDecomposition(int model, Layer last) {
    if (last.kind() != OpKind.MUL) {
      return null;
    }
    Map<String, Layer> producers = producers(model);
    ArrayDeque<Layer> todo = new ArrayDeque<>(List.of(last));
    Set<Layer> seen = new HashSet<>();
    String found = null;
    while (!todo.isEmpty() && seen.size() < GELU_DECOMPOSITION_NODES) {
      Layer x = todo.poll();
      if (!seen.add(x) || x.kind().hasWeights() || x.kind() == OpKind.MATMUL) {
        continue;
      }
      String form =
          models.get(model).model().roles(x).contains(OpRole.ERF)
              ? "none"
              : x.kind() == OpKind.TANH ? "tanh" : null;
      if (form != null) {
        if (found != null && !found.equals(form)) {
          return null;
        }
        found = form;
        continue;
      }
      for (String in : x.inputs()) {
        Layer p = producers.get(in);
        if (p != null) {
          todo.add(p);
        }
      }
    }
    return found == null ? null : AttributeValue.of(found);
  }

  /** At most this many nodes make up a decomposed GELU (the tanh form has 13 with constants). */
  private static final int GELU_DECOMPOSITION_NODES = 16;

  private Map<String, Layer> producers(int model) {
    return producerMaps.computeIfAbsent(
        model,
        m -> {
          Map<String, Layer> p = new HashMap<>();
          for (Layer x : models.get(m).model().layers()) {
            x.outputs().forEach(t -> p.putIfAbsent(t, x));
          }
          return p;
        });
  }

  /**
   * TensorFlow's total SAME padding along one axis: enough for ceil(in / stride) outputs. At stride
   * 1 it is (k - 1)·d whatever the size ({@code in} is then not needed and passed as -1).
   */
  static long samePadding(long in, long stride, long k, long dilation) {
    long extent = (k - 1) * dilation + 1;
    if (stride == 1) {
      return extent - 1;
    }
    long out = (in + stride - 1) / stride;
    return Math.max((out - 1) * stride + extent - in, 0);
  }

  /** The constant-zero Pad layer producing this layer's first input, if any. */
  private Layer zeroPadFeeding(int model, Layer l) {
    if (l.inputs().isEmpty()) {
      return null;
    }
    Map<String, Layer> producers = producers(model);
    Layer p = producers.get(l.inputs().get(0));
    // onnx2tf pads, then transposes to the conv's layout: the pad is still the conv's.
    while (p != null && p.kind() == OpKind.TRANSPOSE && !p.inputs().isEmpty()) {
      p = producers.get(p.inputs().get(0));
    }
    boolean zero =
        p != null
            && p.kind() == OpKind.PAD
            && !models.get(model).model().roles(p).contains(OpRole.EDGE_PAD)
            && (!p.attributes().containsKey("mode")
                || p.attributes().get("mode").render().equalsIgnoreCase("constant"));
    return zero ? p : null;
  }

  private static List<Long> ints(Layer l, String name, List<Long> dflt) {
    AttributeValue v = l.attributes().get(name);
    if (v instanceof AttributeValue.Ints i) {
      List<Long> s = spatial(i.values(), l.layout());
      return s.size() == 1 ? List.of(s.get(0), s.get(0)) : s;
    }
    return dflt;
  }

  private long[] kernel(int model, Layer l) {
    AttributeValue v = l.attributes().get("kernel_shape");
    if (v instanceof AttributeValue.Ints i) {
      List<Long> s = spatial(i.values(), l.layout());
      if (s.size() == 2) {
        return new long[] {s.get(0), s.get(1)};
      }
    }
    String w = Weights.roles(l).get("weight");
    ParameterInfo info = w == null ? null : models.get(model).model().parameters().get(w);
    if (info == null || info.shape().size() != 4) {
      return null;
    }
    List<Long> s = info.shape();
    boolean hwFirst = info.layout() == WeightLayout.HWIO || info.layout() == WeightLayout.HWIM;
    return hwFirst ? new long[] {s.get(0), s.get(1)} : new long[] {s.get(2), s.get(3)};
  }
}
