package dev.portcheck.importers.onnx;

import dev.portcheck.importers.onnx.proto.AttributeProto;
import dev.portcheck.importers.onnx.proto.GraphProto;
import dev.portcheck.importers.onnx.proto.ModelProto;
import dev.portcheck.importers.onnx.proto.NodeProto;
import dev.portcheck.importers.onnx.proto.TensorProto;
import dev.portcheck.importers.onnx.proto.ValueInfoProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Graph rewrites that make the nodes of ONNX control flow tappable. ORT returns graph outputs only,
 * and a tensor inside an {@code If} branch or a {@code Loop} body is not one.
 *
 * <ul>
 *   <li>{@code If}: its condition is evaluated first, on the run's own inputs, by a small model
 *       holding only the nodes the condition depends on ({@link #conditionSlice}); then the model
 *       is run with the branch taken inlined in place of the If ({@link #inline}): the same nodes
 *       on the same values, now top-level tensors. Nodes of the branch not taken did not run, and
 *       are reported so, never as placeholders. (Adding branch tensors as If outputs would need a
 *       typed placeholder in the other branch for each, and the types are not known before ORT
 *       loads the model.)
 *   <li>{@code Loop}: a body tensor is added as an extra scan output of the body, so the Loop
 *       returns it stacked over the iterations; the tap is the last iteration's ({@link
 *       #withLoopTaps}).
 * </ul>
 *
 * Nodes are keyed by their first output name, which ONNX's single assignment keeps unique even when
 * node names are empty or repeated.
 */
final class OnnxControlFlow {
  private OnnxControlFlow() {}

  /** A control-flow node around a layer, outermost first: the node and the graph attribute. */
  record Frame(String node, String nodeName, String opType, String attribute) {}

  /** The key of a node: its first output. */
  static String key(NodeProto n) {
    return n.getOutputCount() == 0 ? "" : n.getOutput(0);
  }

  /**
   * {@code graph} with each If whose key {@code taken} decides replaced by the nodes of the branch
   * taken, then Identity nodes from the branch outputs to the If outputs; branch initializers move
   * to the graph. Applied again to inlined nodes, so a decided If inside a taken branch is inlined
   * too. ONNX forbids a subgraph name to shadow an outer one, so the inlined names are free.
   */
  static GraphProto inline(GraphProto graph, Map<String, Boolean> taken) {
    if (taken.isEmpty()) {
      return graph;
    }
    GraphProto.Builder g = graph.toBuilder().clearNode();
    List<TensorProto> moved = new ArrayList<>();
    Deque<NodeProto> todo = new ArrayDeque<>(graph.getNodeList());
    int guard = 0;
    while (!todo.isEmpty() && guard++ < 10_000_000) {
      NodeProto n = todo.pollFirst();
      Boolean branch = "If".equals(n.getOpType()) ? taken.get(key(n)) : null;
      GraphProto body = branch == null ? null : branchOf(n, branch ? "then_branch" : "else_branch");
      if (body == null || body.getOutputCount() != n.getOutputCount()) {
        g.addNode(n);
        continue;
      }
      moved.addAll(body.getInitializerList());
      List<NodeProto> replacement = new ArrayList<>(body.getNodeList());
      for (int i = 0; i < n.getOutputCount(); i++) {
        if (!n.getOutput(i).isEmpty()) {
          replacement.add(
              NodeProto.newBuilder()
                  .setOpType("Identity")
                  .setName("portcheck_inlined/" + n.getOutput(i))
                  .addInput(body.getOutput(i).getName())
                  .addOutput(n.getOutput(i))
                  .build());
        }
      }
      for (int i = replacement.size() - 1; i >= 0; i--) {
        todo.addFirst(replacement.get(i));
      }
    }
    g.addAllInitializer(moved);
    return g.build();
  }

  static GraphProto branchOf(NodeProto n, String attribute) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(attribute) && a.hasG()) {
        return a.getG();
      }
    }
    return null;
  }

  /** The If nodes of a graph's top level, in order. */
  static List<NodeProto> topLevelIfs(GraphProto graph) {
    List<NodeProto> out = new ArrayList<>();
    for (NodeProto n : graph.getNodeList()) {
      if ("If".equals(n.getOpType()) && n.getInputCount() > 0) {
        out.add(n);
      }
    }
    return out;
  }

  /** A model computing some If conditions, and which Ifs (by key) it decides, in its outputs. */
  record Slice(ModelProto model, List<String> ifs, List<String> inputs) {}

  /**
   * A model holding only the nodes that the conditions of {@code ifs} depend on, with those
   * conditions as outputs; an If whose condition needs the output of another control-flow node is
   * left out (its branches stay untapped). Returns null when no condition can be computed so.
   */
  static Slice conditionSlice(ModelProto base, GraphProto graph, List<NodeProto> ifs) {
    Map<String, NodeProto> producer = new HashMap<>();
    for (NodeProto n : graph.getNodeList()) {
      for (String o : n.getOutputList()) {
        if (!o.isEmpty()) {
          producer.putIfAbsent(o, n);
        }
      }
    }
    Map<String, TensorProto> inits = new HashMap<>();
    graph.getInitializerList().forEach(t -> inits.put(t.getName(), t));
    Map<String, ValueInfoProto> graphInputs = new LinkedHashMap<>();
    graph.getInputList().forEach(v -> graphInputs.put(v.getName(), v));
    Set<NodeProto> nodes = new LinkedHashSet<>();
    Set<String> usedInits = new LinkedHashSet<>();
    Set<String> usedInputs = new LinkedHashSet<>();
    List<String> decided = new ArrayList<>();
    List<String> conditions = new ArrayList<>();
    for (NodeProto iff : ifs) {
      Set<NodeProto> need = new LinkedHashSet<>();
      Set<String> needInits = new HashSet<>();
      Set<String> needInputs = new HashSet<>();
      if (closure(iff.getInput(0), producer, inits, graphInputs, need, needInits, needInputs)) {
        nodes.addAll(need);
        usedInits.addAll(needInits);
        usedInputs.addAll(needInputs);
        decided.add(key(iff));
        conditions.add(iff.getInput(0));
      }
    }
    if (decided.isEmpty()) {
      return null;
    }
    GraphProto.Builder g = GraphProto.newBuilder().setName("portcheck_conditions");
    for (NodeProto n : graph.getNodeList()) {
      if (nodes.contains(n)) {
        g.addNode(n);
      }
    }
    usedInits.forEach(i -> g.addInitializer(inits.get(i)));
    List<String> inputs = new ArrayList<>();
    for (ValueInfoProto v : graph.getInputList()) {
      if (usedInputs.contains(v.getName()) && !inits.containsKey(v.getName())) {
        g.addInput(v);
        inputs.add(v.getName());
      }
    }
    Set<String> declared = new HashSet<>();
    for (String c : conditions) {
      if (declared.add(c)) {
        g.addOutput(ValueInfoProto.newBuilder().setName(c));
      }
    }
    ModelProto m = base.toBuilder().setGraph(g).clearMetadataProps().build();
    return new Slice(m, decided, inputs);
  }

  /** Collects what computes {@code tensor}; false when that needs a control-flow node. */
  private static boolean closure(
      String tensor,
      Map<String, NodeProto> producer,
      Map<String, TensorProto> inits,
      Map<String, ValueInfoProto> graphInputs,
      Set<NodeProto> need,
      Set<String> needInits,
      Set<String> needInputs) {
    Deque<String> todo = new ArrayDeque<>(List.of(tensor));
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      String t = todo.pop();
      if (t.isEmpty() || !seen.add(t)) {
        continue;
      }
      if (inits.containsKey(t)) {
        needInits.add(t);
        continue;
      }
      if (graphInputs.containsKey(t)) {
        needInputs.add(t);
        continue;
      }
      NodeProto n = producer.get(t);
      if (n == null) {
        return false; // an outer-scope name: not computable at the top level
      }
      if (!OnnxGraphReader.subgraphs(n).isEmpty()) {
        return false;
      }
      if (need.add(n)) {
        todo.addAll(n.getInputList());
      }
    }
    return true;
  }

  /**
   * {@code graph} where each body tensor of {@code tapped} that a top-level Loop computes is also a
   * scan output of the body, so the Loop returns it stacked over iterations. Returns the graph and,
   * per tapped body tensor, the name of the stacked Loop output.
   */
  static Map.Entry<GraphProto, Map<String, String>> withLoopTaps(
      GraphProto graph, Set<String> tapped) {
    Map<String, String> stacked = new LinkedHashMap<>();
    GraphProto.Builder g = graph.toBuilder();
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      if (!"Loop".equals(n.getOpType())) {
        continue;
      }
      GraphProto body = branchOf(n, "body");
      if (body == null) {
        continue;
      }
      List<String> mine = new ArrayList<>();
      for (NodeProto b : body.getNodeList()) {
        for (String o : b.getOutputList()) {
          if (tapped.contains(o)) {
            mine.add(o);
          }
        }
      }
      if (mine.isEmpty()) {
        continue;
      }
      GraphProto.Builder nb = body.toBuilder();
      NodeProto.Builder loop = n.toBuilder();
      for (String t : mine) {
        // Through a copy: a tensor the body already returns cannot be listed twice.
        String scan = "portcheck_scan/" + t;
        nb.addNode(
            NodeProto.newBuilder().setOpType("Identity").setName(scan).addInput(t).addOutput(scan));
        nb.addOutput(ValueInfoProto.newBuilder().setName(scan));
        String out = "portcheck_iterations/" + t;
        loop.addOutput(out);
        stacked.put(t, out);
      }
      for (int a = 0; a < loop.getAttributeCount(); a++) {
        if (loop.getAttribute(a).getName().equals("body")) {
          loop.setAttribute(a, loop.getAttribute(a).toBuilder().setG(nb));
        }
      }
      g.setNode(i, loop);
    }
    return Map.entry(g.build(), stacked);
  }
}
