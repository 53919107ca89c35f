package dev.portcheck.importers.tensorflow;

import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.tensorflow.TfFlattener.FlatNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/** Reads a layer's kind and canonical attributes from its NodeDefs. */
final class TfAttributes {
  private final TfLayers graph;
  private final TfParameters params;

  TfAttributes(TfLayers graph, TfParameters params) {
    this.graph = graph;
    this.params = params;
  }

  /** A float32 attribute as the shortest decimal that round-trips it (1e-5, not 9.99e-6). */
  static double f32(float f) {
    return Double.parseDouble(Float.toString(f));
  }

  OpKind kind(FlatNode main, List<FlatNode> ops, List<FlatNode> all) {
    String op = main.op();
    NodeDef d = main.def();
    if (op.startsWith("FusedBatchNorm")) {
      // tf_keras runs LayerNormalization as a training-mode fused batch norm over a reshaped input.
      return attr(d, "is_training") != null && attr(d, "is_training").getB()
          ? OpKind.LAYER_NORM
          : OpKind.BATCH_NORM;
    }
    if ("Rsqrt".equals(op)) {
      boolean moments =
          ops.stream().anyMatch(n -> "Mean".equals(n.op()) || "SquaredDifference".equals(n.op()));
      return moments ? OpKind.LAYER_NORM : OpKind.BATCH_NORM;
    }
    if ("MatMul".equals(op) || "Einsum".equals(op) || op.startsWith("BatchMatMul")) {
      if (ops.stream().anyMatch(n -> "Softmax".equals(n.op()))) {
        return OpKind.ATTENTION;
      }
      return params.hasParameterInput(main) ? OpKind.LINEAR : OpKind.MATMUL;
    }
    if ("Tanh".equals(op) && tanhGelu(ops)) {
      return OpKind.GELU;
    }
    if ("Erf".equals(op) && ops.stream().noneMatch(n -> n.op().startsWith("Mul"))) {
      // A Keras gelu layer holds Erf with its Muls; a lone Erf (onnx2tf spells GELU op by op) is
      // only one step of it and must not stand for the whole activation.
      return OpKind.OTHER;
    }
    if ("Mean".equals(op)) {
      List<Long> axes = axes(main);
      long[] inShape = params.shapeOfInput(main, 0);
      if (inShape != null && inShape.length == 4 && axes != null && axes.equals(List.of(1L, 2L))) {
        return OpKind.GLOBAL_AVG_POOL;
      }
      return OpKind.REDUCE_MEAN;
    }
    return TfOpKinds.of(op);
  }

  /**
   * GELU's tanh approximation ({@code 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))}, Hugging Face's
   * {@code gelu_new}) written out op by op: a Tanh with the cube (Pow) and Muls around it.
   */
  private static boolean tanhGelu(List<FlatNode> ops) {
    return ops.stream().anyMatch(n -> "Pow".equals(n.op()))
        && ops.stream().filter(n -> "Mul".equals(n.op())).count() >= 3;
  }

  Map<String, AttributeValue> attributes(
      FlatNode main, OpKind kind, List<FlatNode> ops, List<FlatNode> all) {
    Map<String, AttributeValue> a = new LinkedHashMap<>();
    NodeDef d = main.def();
    String op = main.op();
    if (kind == OpKind.GELU) {
      // Exact (erf) and tanh-approximated GELU differ by up to ~1e-3: an attribute to compare.
      a.put("approximate", AttributeValue.of("Tanh".equals(op) ? "tanh" : "none"));
    }
    if (op.startsWith("FusedBatchNorm")) {
      a.put("epsilon", AttributeValue.of(f32(attr(d, "epsilon").getF())));
    }
    if ("Rsqrt".equals(op)) {
      Double eps = decomposedEpsilon(main);
      if (eps != null) {
        a.put("epsilon", AttributeValue.of(eps));
      }
      a.put("decomposed", AttributeValue.of(true));
    }
    boolean spatial = op.startsWith("Conv") || op.startsWith("Depthwise") || op.endsWith("Pool");
    String format =
        attr(d, "data_format") == null ? "NHWC" : attr(d, "data_format").getS().toStringUtf8();
    if (spatial) {
      int h = format.startsWith("NC") ? 2 : 1;
      putSpatial(a, "strides", attr(d, "strides"), h);
      AttrValue padding = attr(d, "padding");
      if (padding != null) {
        a.put("padding", AttributeValue.of(padding.getS().toStringUtf8()));
        AttrValue explicit = attr(d, "explicit_paddings");
        if ("EXPLICIT".equals(padding.getS().toStringUtf8()) && explicit != null) {
          List<Long> p = explicit.getList().getIList();
          a.put("explicit_paddings", AttributeValue.ints(p));
          if (p.size() == 8) {
            a.put(
                "pads",
                AttributeValue.ints(
                    List.of(p.get(2 * h), p.get(2 * h + 2), p.get(2 * h + 1), p.get(2 * h + 3))));
          }
        }
      }
      putSpatial(a, "dilations", attr(d, "dilations"), h);
      AttrValue ksize = attr(d, "ksize");
      if (ksize != null) {
        putSpatial(a, "kernel_shape", ksize, h);
      } else {
        long[] w = params.shapeOfInput(main, "Conv2DBackpropInput".equals(op) ? 1 : 1);
        if (w != null && w.length == 4) {
          a.put("kernel_shape", AttributeValue.ints(List.of(w[0], w[1])));
        }
      }
    }
    if (attr(d, "data_format") != null && kind != OpKind.LAYER_NORM) {
      // (A LayerNormalization run as a fused batch norm reshapes its input to NCHW first: that
      // layout is the implementation's, not the layer's.)
      a.put("data_format", AttributeValue.of(format));
    }
    if ("Mean".equals(op)) {
      List<Long> axes = axes(main);
      if (axes != null) {
        a.put("axis", AttributeValue.ints(axes));
      }
      if (attr(d, "keep_dims") != null) {
        a.put("keep_dims", AttributeValue.of(attr(d, "keep_dims").getB()));
      }
    }
    if (op.startsWith("Resize")) {
      boolean align = attr(d, "align_corners") != null && attr(d, "align_corners").getB();
      boolean half = attr(d, "half_pixel_centers") != null && attr(d, "half_pixel_centers").getB();
      a.put("align_corners", AttributeValue.of(align));
      a.put("half_pixel_centers", AttributeValue.of(half));
      a.put(
          "coordinate_transformation_mode",
          AttributeValue.of(align ? "align_corners" : half ? "half_pixel" : "asymmetric"));
      a.put(
          "mode",
          AttributeValue.of(
              switch (op) {
                case "ResizeBilinear" -> "linear";
                case "ResizeBicubic" -> "cubic";
                default -> "nearest";
              }));
    }
    if ("Softmax".equals(op) || "LogSoftmax".equals(op)) {
      Long axis = softmaxAxis(main);
      if (axis != null) {
        a.put("axis", AttributeValue.of(axis));
      }
    }
    if ("LeakyRelu".equals(op) && attr(d, "alpha") != null) {
      a.put("alpha", AttributeValue.of(f32(attr(d, "alpha").getF())));
    }
    if (("Pad".equals(op) || "PadV2".equals(op) || "MirrorPad".equals(op))
        && d.getInputCount() > 1) {
      // Keras' ZeroPadding2D: paddings [[0, 0], [top, bottom], [left, right], [0, 0]] (NHWC),
      // recorded in ONNX's [top, left, bottom, right] order so a following VALID conv can be
      // compared with a framework that pads inside the conv.
      Tensor p = params.constant(d.getInput(1));
      if (p != null && p.size() == 8) {
        long[] v = p.toLongArray();
        if (v[0] == 0 && v[1] == 0 && v[6] == 0 && v[7] == 0) {
          a.put("pads", AttributeValue.ints(List.of(v[2], v[4], v[3], v[5])));
        }
      }
    }
    if ("MirrorPad".equals(op) && attr(d, "mode") != null) {
      a.put(
          "mode",
          AttributeValue.of(attr(d, "mode").getS().toStringUtf8().toLowerCase(Locale.ROOT)));
    }
    if ("ConcatV2".equals(op)) {
      Tensor axis = params.constant(d.getInput(d.getInputCount() - 1));
      if (axis != null && axis.size() == 1) {
        a.put("axis", AttributeValue.of(axis.getLong(0)));
      }
    }
    if ("MatMul".equals(op)) {
      a.put(
          "transpose_a",
          AttributeValue.of(attr(d, "transpose_a") != null && attr(d, "transpose_a").getB()));
      a.put(
          "transpose_b",
          AttributeValue.of(attr(d, "transpose_b") != null && attr(d, "transpose_b").getB()));
    }
    if (kind != OpKind.GELU && kind != OpKind.RELU && kind != OpKind.RELU6) {
      for (FlatNode n : ops) {
        if (n != main && TfOpKinds.ACTIVATIONS.contains(n.op())) {
          a.put("activation", AttributeValue.of("Erf".equals(n.op()) ? "Gelu" : n.op()));
          break;
        }
      }
    }
    return a;
  }

  /**
   * Epsilon of a decomposed norm ({@code rsqrt(variance + eps)}, as Keras 3 BatchNormalization and
   * every LayerNormalization trace it): the scalar constant added right before the Rsqrt.
   */
  private Double decomposedEpsilon(FlatNode rsqrt) {
    FlatNode add = graph.node(TfLayers.nodeOf(rsqrt.def().getInput(0)));
    if (add == null || !(add.op().equals("AddV2") || add.op().equals("Add"))) {
      return null;
    }
    for (String in : add.def().getInputList()) {
      if (params.isVariable(in)) {
        continue;
      }
      Tensor t = params.constant(in);
      if (t != null && t.size() == 1 && t.dtype().isFloating()) {
        return f32(t.getFloat(0));
      }
    }
    return null;
  }

  /**
   * The axis a Softmax normalises: TF's op always takes the last one, so {@code tf.nn.softmax(x,
   * axis=d)} (Keras' {@code Softmax(axis=d)}) swaps d with the last axis first — a Transpose whose
   * permutation ends with d — and back after. Without that Transpose the axis is the last (-1); a
   * swap that cannot be read leaves it unknown (null).
   */
  private Long softmaxAxis(FlatNode softmax) {
    FlatNode t = graph.node(TfLayers.nodeOf(softmax.def().getInput(0)));
    // Only the layer's own swap: a Transpose of another layer (a layout change) is not the axis.
    if (t == null
        || !"Transpose".equals(t.op())
        || t.def().getInputCount() < 2
        || !scope(t.name()).equals(scope(softmax.name()))) {
      return -1L;
    }
    String permRef = t.def().getInput(1);
    Tensor perm = params.constant(permRef);
    if (perm != null && perm.size() > 0) {
      long[] p = perm.toLongArray();
      return p[p.length - 1];
    }
    // Built at run time as concat(range(0, d), [rank - 1], range(d + 1, rank - 1), [d]): its last
    // piece is the constant d.
    FlatNode concat = graph.node(TfLayers.nodeOf(permRef));
    if (concat != null && "ConcatV2".equals(concat.op()) && concat.def().getInputCount() >= 3) {
      Tensor last = params.constant(concat.def().getInput(concat.def().getInputCount() - 2));
      if (last != null && last.size() == 1) {
        return last.toLongArray()[0];
      }
    }
    return null;
  }

  private static String scope(String node) {
    int i = node.lastIndexOf('/');
    return i < 0 ? "" : node.substring(0, i);
  }

  private List<Long> axes(FlatNode mean) {
    Tensor t = params.constant(mean.def().getInput(1));
    if (t == null) {
      return null;
    }
    long[] in = params.shapeOfInput(mean, 0);
    List<Long> out = new ArrayList<>();
    for (long v : t.toLongArray()) {
      out.add(v < 0 && in != null ? v + in.length : v);
    }
    out.sort(null);
    return out;
  }

  private static void putSpatial(Map<String, AttributeValue> a, String key, AttrValue v, int h) {
    if (v == null) {
      return;
    }
    List<Long> l = v.getList().getIList();
    a.put(key, AttributeValue.ints(l.size() == 4 ? List.of(l.get(h), l.get(h + 1)) : l));
  }

  /**
   * An attribute, or the OpDef's default: FunctionDef bodies omit attributes left at their default
   * (Conv2D dilations, data_format; FusedBatchNormV3 is_training=true).
   */
  private static AttrValue attr(NodeDef d, String k) {
    AttrValue v = d.getAttrMap().get(k);
    if (v != null) {
      return v;
    }
    OpDef def = TfOpDefs.find(d.getOp());
    if (def != null) {
      for (OpDef.AttrDef a : def.getAttrList()) {
        if (a.getName().equals(k) && a.hasDefaultValue()) {
          return a.getDefaultValue();
        }
      }
    }
    return null;
  }
}
