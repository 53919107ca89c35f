package dev.portcheck.importers.tensorflow;

import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.WeightLayout;
import dev.portcheck.importers.tensorflow.TfFlattener.FlatNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.tensorflow.proto.TensorProto;

/**
 * Groups the flat graph's ops into Keras layers by name scope and describes each layer.
 *
 * <p>Keras names every op of a layer {@code <model>/<layer>/...}; after inlining the names carry
 * the call prefixes too ({@code StatefulPartitionedCall/StatefulPartitionedCall/cnn/conv1/Conv2D}).
 * The scope components shared by every op are dropped and the next component is the layer. Keras 3
 * traces its serving function under uniquified scopes ({@code conv2d_1} for layer {@code conv2d},
 * {@code re_lu_1_2} for {@code re_lu_1}); when every scope carries such a suffix in a SavedModel
 * without tf_keras metadata, one {@code _N} suffix is removed.
 */
final class TfLayers {
  private static final Pattern UNIQUIFIED = Pattern.compile("^(.+)_\\d+$");

  /** What the layer builder produced. */
  record Result(
      List<Layer> layers,
      Map<String, ParameterInfo> parameters,
      Map<String, String> constNodes,
      Map<String, String> layerOfNode) {}

  /** What the layer builder needs to know about the flat graph. */
  record Input(
      List<FlatNode> nodes,
      Map<String, String> variableConsts,
      Map<String, TensorProto> variableValues,
      Set<String> outputNodes,
      boolean maybeKeras3,
      Set<String> allVariables,
      Function<String, long[]> shapeOf,
      Function<String, DType> dtypeOf,
      TfKerasTree.Node keras) {}

  private final Input in;
  private final Map<String, FlatNode> byName = new LinkedHashMap<>();
  private final Map<String, List<String>> consumers = new HashMap<>();

  private TfLayers(Input in) {
    this.in = in;
    for (FlatNode n : in.nodes()) {
      byName.put(n.name(), n);
      for (String i : n.def().getInputList()) {
        consumers.computeIfAbsent(nodeOf(i), k -> new ArrayList<>()).add(n.name());
      }
    }
  }

  static Result build(Input in) {
    return new TfLayers(in).run();
  }

  static String nodeOf(String tensor) {
    int c = tensor.lastIndexOf(':');
    return c < 0 ? tensor : tensor.substring(0, c);
  }

  FlatNode node(String name) {
    return byName.get(name);
  }

  List<String> consumersOf(String node) {
    return consumers.getOrDefault(node, List.of());
  }

  private static boolean plumbing(FlatNode n) {
    // A function's own return Identity (no scope of its own) belongs to no layer.
    return ("Identity".equals(n.op()) || "NoOp".equals(n.op())) && !n.local().contains("/");
  }

  private Result run() {
    List<FlatNode> compute = new ArrayList<>();
    for (FlatNode n : in.nodes()) {
      if (n.dynamic() && !plumbing(n) && !n.op().startsWith("Placeholder")) {
        compute.add(n);
      }
    }
    int common = commonPrefix(compute);
    TfScopes scopes = in.keras() == null ? null : new TfScopes(in.keras(), common);
    Function<String, String> keyOf = scopes == null ? name -> key(name, common) : scopes::groupOf;
    Map<String, List<FlatNode>> dynamicByKey = new LinkedHashMap<>();
    for (FlatNode n : compute) {
      String k = keyOf.apply(n.name());
      if (k != null) {
        dynamicByKey.computeIfAbsent(k, x -> new ArrayList<>()).add(n);
      }
    }
    if (scopes != null) {
      // A container's own ops that compute no floating tensor (shapes, masks of ids, asserts)
      // are plumbing, not layers.
      dynamicByKey.entrySet().removeIf(e -> scopes.isOwnOps(e.getKey()) && !floating(e.getValue()));
    }
    Map<String, List<FlatNode>> allByKey = new HashMap<>();
    for (FlatNode n : in.nodes()) {
      String k = keyOf.apply(n.name());
      if (k != null && dynamicByKey.containsKey(k)) {
        allByKey.computeIfAbsent(k, x -> new ArrayList<>()).add(n);
      }
    }
    Map<String, String> names =
        scopes == null ? layerNames(dynamicByKey.keySet()) : identity(dynamicByKey.keySet());
    boolean keras3 = names.entrySet().stream().anyMatch(e -> !e.getKey().equals(e.getValue()));
    TfParameters params = new TfParameters(this, in, keras3);
    List<Layer> layers = new ArrayList<>();
    Map<String, String> layerOfNode = new HashMap<>();
    for (Map.Entry<String, List<FlatNode>> e : dynamicByKey.entrySet()) {
      String name = names.get(e.getKey());
      List<FlatNode> ops = e.getValue();
      Set<String> members = new HashSet<>();
      ops.forEach(n -> members.add(n.name()));
      ops.forEach(n -> layerOfNode.put(n.name(), name));
      Layer l = describe(name, ops, allByKey.getOrDefault(e.getKey(), ops), members, params);
      if (scopes != null) {
        l = withParent(l, scopes.parentOf(e.getKey()));
      }
      layers.add(l);
    }
    if (scopes != null) {
      layers = withContainers(layers, dynamicByKey, scopes);
    }
    params.addUnassignedVariables();
    return new Result(layers, params.infos(), params.constNodes(), layerOfNode);
  }

  private boolean floating(List<FlatNode> ops) {
    for (FlatNode n : ops) {
      DType t = in.dtypeOf().apply(n.name() + ":0");
      if (t != null && t.isFloating()) {
        return true;
      }
    }
    return false;
  }

  private static Map<String, String> identity(Set<String> keys) {
    Map<String, String> out = new LinkedHashMap<>();
    keys.forEach(k -> out.put(k, k));
    return out;
  }

  private static Layer withParent(Layer l, String parent) {
    return new Layer(
        l.name(),
        l.opType(),
        l.kind(),
        l.inputs(),
        l.outputs(),
        l.attributes(),
        l.parameters(),
        l.layout(),
        parent,
        l.tappable());
  }

  /**
   * Adds a {@link OpKind#CONTAINER} layer for each subclassed Keras layer that holds listed layers
   * (as PyTorch lists a module with children), placed before its first member. Its output is the
   * last floating tensor that leaves its scope: what the layer's call returned.
   */
  private List<Layer> withContainers(
      List<Layer> layers, Map<String, List<FlatNode>> groups, TfScopes scopes) {
    Map<String, Integer> order = new HashMap<>();
    int i = 0;
    for (FlatNode n : in.nodes()) {
      order.put(n.name(), i++);
    }
    Map<String, List<FlatNode>> byContainer = new LinkedHashMap<>();
    for (Map.Entry<String, List<FlatNode>> e : groups.entrySet()) {
      for (String c = scopes.parentOf(e.getKey()); c != null; c = scopes.parentOf(c)) {
        byContainer.computeIfAbsent(c, k -> new ArrayList<>()).addAll(e.getValue());
      }
    }
    record Placed(Layer layer, int first, int depth) {}
    List<Placed> placed = new ArrayList<>();
    for (Layer l : layers) {
      int first = groups.get(l.name()).stream().mapToInt(n -> order.get(n.name())).min().orElse(0);
      placed.add(new Placed(l, first, depth(l.name())));
    }
    for (Map.Entry<String, List<FlatNode>> e : byContainer.entrySet()) {
      List<FlatNode> ops = new ArrayList<>(e.getValue());
      ops.sort(java.util.Comparator.comparingInt(n -> order.get(n.name())));
      Set<String> members = new HashSet<>();
      ops.forEach(n -> members.add(n.name()));
      FlatNode last = null;
      List<String> inputs = new ArrayList<>();
      for (FlatNode n : ops) {
        DType t = in.dtypeOf().apply(n.name() + ":0");
        boolean leaves =
            in.outputNodes().contains(n.name())
                || consumersOf(n.name()).stream().anyMatch(c -> !members.contains(c));
        if (leaves && t != null && t.isFloating()) {
          last = n;
        }
        for (String input : n.def().getInputList()) {
          FlatNode src = byName.get(nodeOf(input));
          if (src != null
              && src.dynamic()
              && !members.contains(src.name())
              && !inputs.contains(input)) {
            inputs.add(input);
          }
        }
      }
      if (last == null) {
        continue;
      }
      long[] shape = in.shapeOf().apply(last.name() + ":0");
      Layer c =
          new Layer(
              e.getKey(),
              scopes.classOf(e.getKey()),
              OpKind.CONTAINER,
              inputs,
              List.of(last.name() + ":0"),
              Map.of(),
              Map.of(),
              layoutOf(shape),
              scopes.parentOf(e.getKey()),
              true);
      placed.add(new Placed(c, order.get(ops.get(0).name()), depth(e.getKey())));
    }
    placed.sort(java.util.Comparator.comparingInt(Placed::first).thenComparingInt(Placed::depth));
    return placed.stream().map(Placed::layer).toList();
  }

  private static int depth(String path) {
    return path.split("/").length;
  }

  private static Layout layoutOf(long[] shape) {
    return shape == null
        ? Layout.UNSPECIFIED
        : shape.length == 4 ? Layout.NHWC : shape.length == 3 ? Layout.NTC : Layout.UNSPECIFIED;
  }

  private Layer describe(
      String name,
      List<FlatNode> ops,
      List<FlatNode> all,
      Set<String> members,
      TfParameters params) {
    FlatNode main = TfOpKinds.mainOp(ops, all);
    FlatNode last = ops.get(ops.size() - 1);
    for (FlatNode n : ops) {
      boolean leaves =
          in.outputNodes().contains(n.name())
              || consumersOf(n.name()).stream().anyMatch(c -> !members.contains(c))
              || consumersOf(n.name()).isEmpty();
      if (leaves) {
        last = n;
      }
    }
    List<String> inputs = new ArrayList<>();
    for (FlatNode n : ops) {
      for (String i : n.def().getInputList()) {
        FlatNode src = byName.get(nodeOf(i));
        if (src != null && src.dynamic() && !members.contains(src.name()) && !inputs.contains(i)) {
          inputs.add(i);
        }
      }
    }
    TfAttributes attrs = new TfAttributes(this, params);
    OpKind kind = attrs.kind(main, ops, all);
    Map<String, AttributeValue> attributes = attrs.attributes(main, kind, ops, all);
    Map<String, String> roles = params.roles(main, kind, ops, all);
    String opType = main.op();
    if (kind.isNormalization() && "Rsqrt".equals(opType)) {
      opType = kind == OpKind.LAYER_NORM ? "LayerNormalization" : "BatchNormalization";
    }
    Layout layout = layoutOf(in.shapeOf().apply(last.name() + ":0"));
    return new Layer(
        name,
        opType,
        kind,
        inputs,
        List.of(last.name() + ":0"),
        attributes,
        roles,
        layout,
        null,
        true);
  }

  private static int commonPrefix(List<FlatNode> nodes) {
    String[] first = null;
    int common = Integer.MAX_VALUE;
    for (FlatNode n : nodes) {
      String[] parts = n.name().split("/");
      if (first == null) {
        first = parts;
        common = parts.length - 1;
        continue;
      }
      int i = 0;
      while (i < common && i < parts.length - 1 && parts[i].equals(first[i])) {
        i++;
      }
      common = i;
    }
    return first == null ? 0 : common;
  }

  private static String key(String name, int common) {
    String[] parts = name.split("/");
    return parts.length > common ? parts[common] : null;
  }

  private Map<String, String> layerNames(Set<String> keys) {
    Map<String, String> out = new LinkedHashMap<>();
    boolean strip =
        in.maybeKeras3()
            && keys.size() > 1
            && keys.stream().allMatch(k -> UNIQUIFIED.matcher(k).matches());
    Set<String> seen = new HashSet<>();
    for (String k : keys) {
      String n = strip ? UNIQUIFIED.matcher(k).replaceFirst("$1") : k;
      if (!seen.add(n)) {
        strip = false;
        break;
      }
      out.put(k, n);
    }
    if (!strip) {
      out.clear();
      keys.forEach(k -> out.put(k, k));
    }
    return out;
  }

  /** Weight layout by role and consuming op. */
  static WeightLayout layoutFor(String role, String op, long[] shape, boolean transposeB) {
    if ("weight".equals(role)) {
      return switch (op) {
        case "Conv2D", "Conv2DBackpropInput", "Conv3D" -> WeightLayout.HWIO;
        case "DepthwiseConv2dNative" -> WeightLayout.HWIM;
        case "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3" ->
            shape.length != 2 ? WeightLayout.OTHER : transposeB ? WeightLayout.OI : WeightLayout.IO;
        default -> WeightLayout.OTHER;
      };
    }
    return shape.length == 1 ? WeightLayout.VECTOR : WeightLayout.OTHER;
  }

  static DType dtypeOf(TensorProto p) {
    return TfTensors.dtype(p.getDtype());
  }
}
