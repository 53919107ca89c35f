package dev.portcheck.importers.onnx;

import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.WeightLayout;
import dev.portcheck.importers.onnx.proto.AttributeProto;
import dev.portcheck.importers.onnx.proto.GraphProto;
import dev.portcheck.importers.onnx.proto.NodeProto;
import dev.portcheck.importers.onnx.proto.TensorProto;
import dev.portcheck.importers.onnx.proto.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads an ONNX graph into layers and parameters: nodes in topological order (files are supposed to
 * be sorted, but hand-edited ones are not always), unique names for nameless nodes (old exporters
 * leave every name empty), subgraph nodes after their control-flow parent, and parameters by role.
 */
final class OnnxGraphReader {

  /** What a graph holds. */
  record Contents(
      List<Layer> layers,
      Map<String, ParameterInfo> parameters,
      Map<String, TensorProto> tensors,
      Map<String, String> firstOutputToLayer,
      Map<String, List<OnnxControlFlow.Frame>> frames) {}

  private final Map<String, TensorProto> tensors = new LinkedHashMap<>();
  private final Map<String, WeightLayout> weightLayouts = new HashMap<>();
  private final Set<String> reserved = new HashSet<>();
  private final Set<String> used = new HashSet<>();
  private final List<Layer> layers = new ArrayList<>();
  private final Map<String, String> firstOutputToLayer = new HashMap<>();
  private final Map<String, List<OnnxControlFlow.Frame>> frames = new HashMap<>();
  private final Function<TensorProto, Tensor> decoder;

  private OnnxGraphReader(Function<TensorProto, Tensor> decoder) {
    this.decoder = decoder;
  }

  /**
   * Reads {@code graph}.
   *
   * @param decoder decodes small constant tensors (Clip bounds) on demand
   */
  static Contents read(GraphProto graph, Function<TensorProto, Tensor> decoder) {
    OnnxGraphReader r = new OnnxGraphReader(decoder);
    r.collectTensorsAndNames(graph);
    r.walk(graph, null, List.of(), inputLayouts(graph));
    Map<String, ParameterInfo> params = new LinkedHashMap<>();
    r.tensors.forEach(
        (name, t) -> {
          List<Long> shape = t.getDimsList();
          WeightLayout layout =
              r.weightLayouts.getOrDefault(
                  name, shape.size() <= 1 ? WeightLayout.VECTOR : WeightLayout.OTHER);
          params.put(
              name, new ParameterInfo(name, OnnxTypes.dtype(t.getDataType()), shape, layout));
        });
    return new Contents(r.layers, params, r.tensors, r.firstOutputToLayer, r.frames);
  }

  private static Map<String, Layout> inputLayouts(GraphProto graph) {
    Map<String, Layout> m = new HashMap<>();
    for (ValueInfoProto v : graph.getInputList()) {
      m.put(v.getName(), OnnxTypes.graphInput(graph, v).layout());
    }
    return m;
  }

  /** Initializers and Constant values of every graph, and every name a node already has. */
  private void collectTensorsAndNames(GraphProto graph) {
    for (TensorProto t : graph.getInitializerList()) {
      tensors.putIfAbsent(t.getName(), t);
    }
    for (NodeProto n : graph.getNodeList()) {
      if (!n.getName().isEmpty()) {
        reserved.add(n.getName());
      }
      if ("Constant".equals(n.getOpType()) && n.getOutputCount() > 0) {
        for (AttributeProto a : n.getAttributeList()) {
          if ("value".equals(a.getName()) && a.hasT()) {
            // A Constant's tensor is usually nameless; it is known by the node's output name.
            tensors.putIfAbsent(
                n.getOutput(0), a.getT().toBuilder().setName(n.getOutput(0)).build());
          }
        }
      }
      for (GraphProto sub : subgraphs(n)) {
        collectTensorsAndNames(sub);
      }
    }
  }

  static List<GraphProto> subgraphs(NodeProto n) {
    List<GraphProto> out = new ArrayList<>();
    for (AttributeProto a : n.getAttributeList()) {
      if (a.hasG()) {
        out.add(a.getG());
      }
      out.addAll(a.getGraphsList());
    }
    return out;
  }

  private void walk(
      GraphProto graph,
      String parent,
      List<OnnxControlFlow.Frame> around,
      Map<String, Layout> layouts) {
    List<NodeProto> sorted = topologicalOrder(graph);
    String note = noteFor(around);
    boolean reachable = tappableWithin(around);
    for (int i = 0; i < sorted.size(); i++) {
      NodeProto n = sorted.get(i);
      String name = uniqueName(n, i, parent);
      OpKind kind = OpKind.fromOnnx(n.getOpType());
      Map<String, AttributeValue> attrs = OnnxAttributes.of(n, kind, this::constant);
      Map<String, String> params = roles(n, kind, attrs);
      Layout layout = layoutOf(n, kind, layouts);
      for (String o : n.getOutputList()) {
        layouts.put(o, layout);
      }
      boolean hasOutput = n.getOutputCount() > 0 && !n.getOutput(0).isEmpty();
      layers.add(
          new Layer(
              name,
              n.getOpType(),
              kind,
              n.getInputList(),
              n.getOutputList(),
              attrs,
              params,
              layout,
              parent,
              reachable && hasOutput,
              hasOutput ? note : "not tappable: the node has no output"));
      if (!around.isEmpty()) {
        frames.put(name, around);
      }
      if (hasOutput) {
        firstOutputToLayer.putIfAbsent(n.getOutput(0), name);
      }
      for (AttributeProto a : n.getAttributeList()) {
        List<GraphProto> subs = new ArrayList<>();
        if (a.hasG()) {
          subs.add(a.getG());
        }
        subs.addAll(a.getGraphsList());
        for (GraphProto sub : subs) {
          List<OnnxControlFlow.Frame> inner = new ArrayList<>(around);
          inner.add(
              new OnnxControlFlow.Frame(OnnxControlFlow.key(n), name, n.getOpType(), a.getName()));
          walk(sub, name, List.copyOf(inner), new HashMap<>(layouts));
        }
      }
    }
  }

  /**
   * Whether nodes inside these control-flow frames can be tapped: inside If branches (the taken one
   * is inlined for the run), possibly ending in one Loop body (its last iteration).
   */
  static boolean tappableWithin(List<OnnxControlFlow.Frame> around) {
    for (int i = 0; i < around.size(); i++) {
      String op = around.get(i).opType();
      boolean last = i == around.size() - 1;
      if (!("If".equals(op) || ("Loop".equals(op) && last))) {
        return false;
      }
    }
    return true;
  }

  private static String noteFor(List<OnnxControlFlow.Frame> around) {
    if (around.isEmpty()) {
      return null;
    }
    OnnxControlFlow.Frame f = around.get(around.size() - 1);
    if (!tappableWithin(around)) {
      return "not tappable: inside the "
          + f.attribute()
          + " of "
          + f.opType()
          + " '"
          + f.nodeName()
          + "'; portcheck taps If branches and the body of a Loop that is not itself inside a"
          + " Loop";
    }
    if ("Loop".equals(f.opType())) {
      return "in the body of Loop '" + f.nodeName() + "': the tap is its last iteration's value";
    }
    return "in the "
        + f.attribute()
        + " of If '"
        + f.nodeName()
        + "': tapped on inputs that take this branch";
  }

  private String uniqueName(NodeProto n, int index, String parent) {
    String base;
    if (!n.getName().isEmpty() && !used.contains(n.getName())) {
      base = n.getName();
      used.add(base);
      return base;
    }
    base =
        n.getName().isEmpty()
            ? (parent == null ? "" : parent + "/") + n.getOpType() + "_" + index
            : n.getName();
    String name = base;
    for (int k = 2;
        used.contains(name) || (n.getName().isEmpty() && reserved.contains(name));
        k++) {
      name = base + "#" + k;
    }
    used.add(name);
    return name;
  }

  private Tensor constant(String name) {
    TensorProto t = tensors.get(name);
    if (t == null || t.getDimsList().stream().reduce(1L, (a, b) -> a * b) > 16) {
      return null;
    }
    try {
      return decoder.apply(t);
    } catch (RuntimeException e) {
      return null; // a bound that cannot be decoded is simply not reported
    }
  }

  /** Parameter roles, and the weight layout each role implies. */
  private Map<String, String> roles(NodeProto n, OpKind kind, Map<String, AttributeValue> attrs) {
    Map<String, String> roles = new LinkedHashMap<>();
    switch (kind) {
      case CONV, CONV_TRANSPOSE -> {
        role(n, 1, "weight", roles);
        role(n, 2, "bias", roles);
        String w = roles.get("weight");
        if (w != null && tensors.get(w).getDimsCount() == 4) {
          weightLayouts.put(w, WeightLayout.OIHW);
        }
      }
      case BATCH_NORM -> {
        role(n, 1, "scale", roles);
        role(n, 2, "offset", roles);
        role(n, 3, "mean", roles);
        role(n, 4, "variance", roles);
      }
      case LAYER_NORM, INSTANCE_NORM, GROUP_NORM -> {
        role(n, 1, "scale", roles);
        role(n, 2, "offset", roles);
      }
      case LINEAR -> {
        role(n, 1, "weight", roles);
        role(n, 2, "bias", roles);
        String w = roles.get("weight");
        if (w != null && tensors.get(w).getDimsCount() == 2) {
          boolean transB = attrs.get("transB") instanceof AttributeValue.Int t && t.value() != 0;
          weightLayouts.put(w, transB ? WeightLayout.OI : WeightLayout.IO);
        }
      }
      case MATMUL -> {
        role(n, 1, "weight", roles);
        String w = roles.get("weight");
        if (w != null && tensors.get(w).getDimsCount() == 2) {
          weightLayouts.put(w, WeightLayout.IO);
        }
      }
      case LSTM, GRU -> {
        role(n, 1, "weight", roles);
        role(n, 2, "recurrent_weight", roles);
        role(n, 3, "bias", roles);
      }
      default -> {
        // An embedding lookup: the table is the Gather's data, rows indexed by token ids. Named as
        // the weight, it pairs with torch's nn.Embedding and Keras' Embedding by name or values.
        if (n.getOpType().equals("Gather")
            && n.getInputCount() > 1
            && tensors.containsKey(n.getInput(0))
            && tensors.get(n.getInput(0)).getDimsCount() == 2) {
          role(n, 0, "weight", roles);
        }
      }
    }
    return roles;
  }

  private void role(NodeProto n, int input, String role, Map<String, String> roles) {
    if (input < n.getInputCount() && tensors.containsKey(n.getInput(input))) {
      roles.put(role, n.getInput(input));
    }
  }

  private static Layout layoutOf(NodeProto n, OpKind kind, Map<String, Layout> layouts) {
    return switch (kind) {
      case CONV,
          CONV_TRANSPOSE,
          BATCH_NORM,
          INSTANCE_NORM,
          GROUP_NORM,
          MAX_POOL,
          AVG_POOL,
          GLOBAL_AVG_POOL ->
          Layout.NCHW;
      // Element-wise ops keep their first input's layout (a Relu after a Conv is still NCHW).
      case RELU,
          RELU6,
          CLIP,
          LEAKY_RELU,
          SIGMOID,
          TANH,
          GELU,
          SILU,
          ADD,
          SUB,
          MUL,
          DIV,
          CONCAT,
          DROPOUT,
          IDENTITY,
          PAD,
          RESIZE ->
          n.getInputCount() == 0
              ? Layout.UNSPECIFIED
              : layouts.getOrDefault(n.getInput(0), Layout.UNSPECIFIED);
      default -> Layout.UNSPECIFIED;
    };
  }

  /**
   * Kahn's algorithm, ties broken by file order so a sorted file keeps its order. A node depends on
   * the producers of its inputs and of any name its subgraphs read from the enclosing scope.
   */
  static List<NodeProto> topologicalOrder(GraphProto graph) {
    List<NodeProto> nodes = graph.getNodeList();
    Map<String, Integer> producer = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (String o : nodes.get(i).getOutputList()) {
        if (!o.isEmpty()) {
          producer.putIfAbsent(o, i);
        }
      }
    }
    int[] pending = new int[nodes.size()];
    List<List<Integer>> consumers = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      consumers.add(new ArrayList<>());
    }
    boolean sorted = true;
    for (int i = 0; i < nodes.size(); i++) {
      Set<String> reads = new HashSet<>();
      collectReads(nodes.get(i), reads);
      Set<Integer> deps = new HashSet<>();
      for (String in : reads) {
        Integer p = producer.get(in);
        if (p != null && p != i) {
          deps.add(p);
        }
      }
      for (int p : deps) {
        consumers.get(p).add(i);
        sorted &= p < i;
      }
      pending[i] = deps.size();
    }
    if (sorted) {
      return nodes;
    }
    PriorityQueue<Integer> ready = new PriorityQueue<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (pending[i] == 0) {
        ready.add(i);
      }
    }
    List<NodeProto> out = new ArrayList<>(nodes.size());
    boolean[] done = new boolean[nodes.size()];
    while (!ready.isEmpty()) {
      int i = ready.poll();
      done[i] = true;
      out.add(nodes.get(i));
      for (int c : consumers.get(i)) {
        if (--pending[c] == 0) {
          ready.add(c);
        }
      }
    }
    // A cycle is invalid ONNX; keep its nodes in file order rather than losing them.
    for (int i = 0; i < nodes.size(); i++) {
      if (!done[i]) {
        out.add(nodes.get(i));
      }
    }
    return out;
  }

  private static void collectReads(NodeProto n, Set<String> reads) {
    reads.addAll(n.getInputList());
    for (GraphProto g : subgraphs(n)) {
      for (NodeProto inner : g.getNodeList()) {
        collectReads(inner, reads);
      }
    }
  }
}
