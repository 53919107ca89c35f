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
import java.util.ArrayList;
import java.util.HashMap;
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
          "coordinate_transformation_mode",
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
    return out;
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
    AttributeValue v = l.attributes().get(attr);
    if (v == null) {
      return null;
    }
    if (SPATIAL.contains(attr) && v instanceof AttributeValue.Ints ints) {
      return AttributeValue.ints(spatial(ints.values(), l.layout()));
    }
    if (v instanceof AttributeValue.Str s) {
      return AttributeValue.of(normaliseWord(s.value()));
    }
    return v;
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
    if (k == null || strides.stream().anyMatch(x -> x != 1)) {
      // With stride > 1, SAME depends on the input size, which attributes do not hold.
      return null;
    }
    long th = dil.get(0) * (k[0] - 1);
    long tw = dil.get(dil.size() > 1 ? 1 : 0) * (k[1] - 1);
    // TF puts the odd extra pixel at the bottom/right.
    return List.of(th / 2, tw / 2, th - th / 2, tw - tw / 2);
  }

  /** The constant-zero Pad layer producing this layer's first input, if any. */
  private Layer zeroPadFeeding(int model, Layer l) {
    if (l.inputs().isEmpty()) {
      return null;
    }
    Map<String, Layer> producers =
        producerMaps.computeIfAbsent(
            model,
            m -> {
              Map<String, Layer> p = new HashMap<>();
              for (Layer x : models.get(m).model().layers()) {
                x.outputs().forEach(t -> p.putIfAbsent(t, x));
              }
              return p;
            });
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
