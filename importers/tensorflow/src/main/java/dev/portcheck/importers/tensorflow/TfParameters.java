package dev.portcheck.importers.tensorflow;

import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.WeightLayout;
import dev.portcheck.importers.tensorflow.TfFlattener.FlatNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;

/**
 * Finds the parameters a layer's ops read (constants, or variables turned into constants) and
 * assigns them roles: structurally where the op says (Conv2D filter, BiasAdd bias, FusedBatchNorm
 * scale/offset/mean/variance, the rsqrt chain of a decomposed norm), otherwise by the Keras
 * variable name ({@code gamma}, {@code beta}, {@code moving_mean}, {@code kernel}, ...).
 */
final class TfParameters {
  private static final Pattern SUFFIX = Pattern.compile("^(.+)_\\d+$");
  private static final Set<String> PASS_THROUGH =
      Set.of("Identity", "Cast", "Reshape", "Squeeze", "ExpandDims");
  private static final Map<String, String> BY_NAME =
      Map.of(
          "gamma", "scale",
          "beta", "offset",
          "moving_mean", "mean",
          "moving_variance", "variance",
          "kernel", "weight",
          "depthwise_kernel", "weight",
          "bias", "bias");

  private final TfLayers graph;
  private final TfLayers.Input in;
  private final boolean keras3;
  private final Map<String, ParameterInfo> infos = new LinkedHashMap<>();

  /** The Const node holding each parameter's value, by parameter name. */
  private final Map<String, String> constNodes = new LinkedHashMap<>();

  TfParameters(TfLayers graph, TfLayers.Input in, boolean keras3) {
    this.graph = graph;
    this.in = in;
    this.keras3 = keras3;
  }

  Map<String, ParameterInfo> infos() {
    return infos;
  }

  Map<String, String> constNodes() {
    return constNodes;
  }

  /** The Const node a tensor comes from through constant-only reshapes and casts, or null. */
  String source(String tensor) {
    FlatNode n = graph.node(TfLayers.nodeOf(tensor));
    while (n != null && !n.dynamic()) {
      if ("Const".equals(n.op())) {
        return n.name();
      }
      // A Pack of one tensor only adds an axis (tf.matmul(x, layer.weights) packs the list).
      boolean packOfOne = "Pack".equals(n.op()) && n.def().getInputCount() == 1;
      if (!(PASS_THROUGH.contains(n.op()) || packOfOne) || n.def().getInputCount() == 0) {
        return null;
      }
      n = graph.node(TfLayers.nodeOf(n.def().getInput(0)));
    }
    return null;
  }

  boolean isVariable(String tensor) {
    String s = source(tensor);
    return s != null && in.variableConsts().containsKey(s);
  }

  /** A constant's value when the tensor is a Const (possibly behind Identity), else null. */
  Tensor constant(String tensor) {
    FlatNode n = graph.node(TfLayers.nodeOf(tensor));
    while (n != null && "Identity".equals(n.op()) && n.def().getInputCount() > 0) {
      n = graph.node(TfLayers.nodeOf(n.def().getInput(0)));
    }
    if (n == null || !"Const".equals(n.op())) {
      return null;
    }
    TensorProto p = proto(n.name());
    return p == null ? null : TfTensors.fromProto(p);
  }

  private TensorProto proto(String constNode) {
    String var = in.variableConsts().get(constNode);
    if (var != null) {
      return in.variableValues().get(var);
    }
    AttrValue v = graph.node(constNode).def().getAttrMap().get("value");
    return v == null ? null : v.getTensor();
  }

  boolean hasParameterInput(FlatNode n) {
    for (String i : n.def().getInputList()) {
      String s = source(i);
      if (s != null) {
        TensorProto p = proto(s);
        if (p != null && TfTensors.shape(p).length >= 1) {
          return true;
        }
      }
    }
    return false;
  }

  long[] shapeOfInput(FlatNode n, int i) {
    if (i >= n.def().getInputCount()) {
      return null;
    }
    return in.shapeOf().apply(n.def().getInput(i));
  }

  /** Display name of a parameter constant: the variable name where it was one. */
  String nameOf(String constNode) {
    String var = in.variableConsts().get(constNode);
    if (var == null) {
      return constNode;
    }
    if (keras3) {
      // Keras 3 exports capture duplicate handles named "<path>_1"; report the Keras path.
      int slash = var.lastIndexOf('/');
      String last = var.substring(slash + 1);
      var m = SUFFIX.matcher(last);
      if (m.matches()) {
        String clean = var.substring(0, slash + 1) + m.group(1);
        if (in.allVariables().contains(clean)) {
          return clean;
        }
      }
    }
    return var;
  }

  Map<String, String> roles(FlatNode main, OpKind kind, List<FlatNode> ops, List<FlatNode> all) {
    Map<String, String> roles = new LinkedHashMap<>();
    for (FlatNode n : ops) {
      NodeDef d = n.def();
      switch (n.op()) {
        case "Conv2D", "DepthwiseConv2dNative", "Conv3D", "Conv2DBackpropInput" ->
            assign(roles, "weight", d, 1, n);
        case "MatMul", "BatchMatMulV2", "BatchMatMul", "Einsum" -> {
          for (int i = 0; i < d.getInputCount(); i++) {
            if (source(d.getInput(i)) != null) {
              assign(roles, "weight", d, i, n);
              break;
            }
          }
        }
        case "BiasAdd" -> assign(roles, "bias", d, 1, n);
        // An embedding lookup: the table (a variable, see TfFlattener) is the layer's weight.
        case "GatherV2", "GatherNd" -> {
          if (isVariable(d.getInput(0))) {
            assign(roles, "weight", d, 0, n);
          }
        }
        case "AddV2", "Add" -> {
          if (roles.containsKey("weight") && !roles.containsKey("bias")) {
            for (int i = 0; i < d.getInputCount(); i++) {
              if (source(d.getInput(i)) != null) {
                assign(roles, "bias", d, i, n);
              }
            }
          }
        }
        case "FusedBatchNormV3", "FusedBatchNorm", "FusedBatchNormV2" -> {
          // A LayerNormalization run as a fused batch norm feeds it ones and zeros: its gamma
          // and beta are applied after it and are found by name below.
          if (kind == OpKind.BATCH_NORM) {
            assign(roles, "scale", d, 1, n);
            assign(roles, "offset", d, 2, n);
            assign(roles, "mean", d, 3, n);
            assign(roles, "variance", d, 4, n);
          }
        }
        default -> {}
      }
    }
    if ("Rsqrt".equals(main.op())) {
      decomposedRoles(roles, main);
    }
    for (FlatNode n : all) {
      if (in.variableConsts().containsKey(n.name()) && !roles.containsValue(nameOf(n.name()))) {
        String name = nameOf(n.name());
        String last = name.substring(name.lastIndexOf('/') + 1);
        String role = BY_NAME.getOrDefault(last, last);
        if (roles.containsKey(role)) {
          role = name;
        }
        roles.put(role, name);
        register(name, n.name(), role, n.op(), false);
      }
    }
    return roles;
  }

  /** BN as {@code x * (rsqrt(var + eps) * gamma) + (beta - mean * rsqrt(var + eps) * gamma)}. */
  private void decomposedRoles(Map<String, String> roles, FlatNode rsqrt) {
    FlatNode add = graph.node(TfLayers.nodeOf(rsqrt.def().getInput(0)));
    if (add != null) {
      for (int i = 0; i < add.def().getInputCount(); i++) {
        if (isVariable(add.def().getInput(i))) {
          assign(roles, "variance", add.def(), i, add);
        }
      }
    }
    for (String c : graph.consumersOf(rsqrt.name())) {
      FlatNode mul = graph.node(c);
      if (mul == null || !"Mul".equals(mul.op())) {
        continue;
      }
      assignOther(roles, "scale", mul, rsqrt.name());
      for (String c2 : graph.consumersOf(mul.name())) {
        FlatNode mul2 = graph.node(c2);
        if (mul2 != null && "Mul".equals(mul2.op()) && !mul2.dynamic()) {
          assignOther(roles, "mean", mul2, mul.name());
          for (String c3 : graph.consumersOf(mul2.name())) {
            FlatNode sub = graph.node(c3);
            if (sub != null && "Sub".equals(sub.op())) {
              assign(roles, "offset", sub.def(), 0, sub);
            }
          }
        }
      }
    }
  }

  private void assignOther(Map<String, String> roles, String role, FlatNode n, String notFrom) {
    NodeDef d = n.def();
    for (int i = 0; i < d.getInputCount(); i++) {
      if (!TfLayers.nodeOf(d.getInput(i)).equals(notFrom) && isVariable(d.getInput(i))) {
        assign(roles, role, d, i, n);
      }
    }
  }

  private void assign(Map<String, String> roles, String role, NodeDef d, int i, FlatNode user) {
    if (roles.containsKey(role) || i >= d.getInputCount()) {
      return;
    }
    String src = source(d.getInput(i));
    if (src == null) {
      return;
    }
    String name = nameOf(src);
    // MatMul says transpose_b, BatchMatMul (onnx2tf's Dense) says adj_y.
    boolean transposeB =
        (d.getAttrMap().containsKey("transpose_b") && d.getAttrMap().get("transpose_b").getB())
            || (d.getAttrMap().containsKey("adj_y") && d.getAttrMap().get("adj_y").getB());
    if (register(name, src, role, user.op(), transposeB)) {
      roles.put(role, name);
    }
  }

  private boolean register(
      String name, String constNode, String role, String op, boolean transposeB) {
    if (infos.containsKey(name)) {
      return true;
    }
    TensorProto p = proto(constNode);
    if (p == null) {
      return false;
    }
    long[] shape = TfTensors.shape(p);
    WeightLayout layout = TfLayers.layoutFor(role, op, shape, transposeB);
    List<Long> dims = new ArrayList<>();
    for (long s : shape) {
      dims.add(s);
    }
    infos.put(name, new ParameterInfo(name, TfLayers.dtypeOf(p), dims, layout));
    constNodes.put(name, constNode);
    return true;
  }

  /** Variables no layer claimed still belong to {@code parameters()}. */
  void addUnassignedVariables() {
    for (String c : in.variableConsts().keySet()) {
      String name = nameOf(c);
      if (!infos.containsKey(name)) {
        register(name, c, "", "Const", false);
      }
    }
  }
}
