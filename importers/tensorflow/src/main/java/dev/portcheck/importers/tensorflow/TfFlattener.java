package dev.portcheck.importers.tensorflow;

import dev.portcheck.importers.api.PortcheckException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.TensorProto;

/**
 * Inlines the function call tree behind a set of graph tensors into one plain GraphDef.
 *
 * <p>Why: a TF2 SavedModel's serving signature is a {@code StatefulPartitionedCall} whose layers
 * live in FunctionDef bodies; a session can fetch only top-level nodes. Inlining puts every layer
 * op at the top level under a prefix (the call node's name), so one run can fetch all of them.
 * FunctionDef inputs name outputs by OpDef output argument ({@code node:out_arg:idx}); they are
 * rewritten to flat GraphDef indices ({@code node:k}) from the registered OpDefs. Captured resource
 * variables become {@code Const} nodes whose values are filled in later from the loaded bundle, so
 * the flat graph needs no variable initialisation: a {@code ReadVariableOp} becomes that Const, and
 * ops that read the resource themselves ({@code ResourceGather}, which Keras' Embedding emits)
 * become their value-taking twins ({@code GatherV2}) on it. Control dependencies are dropped: in an
 * inference graph whose variables are constants they only order reads.
 */
final class TfFlattener {

  /** A tensor of the flat graph ({@code node:k}), or a captured resource variable. */
  record Ref(String tensor, String variable) {
    static Ref ofTensor(String t) {
      return new Ref(t, null);
    }

    static Ref ofVariable(String v) {
      return new Ref(null, v);
    }

    String node() {
      int c = tensor.lastIndexOf(':');
      return c < 0 ? tensor : tensor.substring(0, c);
    }
  }

  /**
   * A node written to the flat graph, in emission (topological) order; {@code local} is its name
   * inside the function body (or graph) it came from.
   */
  record FlatNode(String name, String local, String op, boolean dynamic, NodeDef def) {}

  private static final Set<String> CALL_OPS = Set.of("PartitionedCall", "StatefulPartitionedCall");

  /** Ops that read a variable through its resource handle and are rewritten onto its value. */
  private static final List<String> RESOURCE_READS = List.of("ResourceGather", "ResourceGatherNd");

  private sealed interface Out {}

  private record Emitted(String name, NodeDef def) implements Out {}

  private record Call(List<Ref> outputs, Map<String, Integer> argIndex) implements Out {}

  private record Pass(Ref ref) implements Out {}

  private final Path source;
  private final GraphDef top;
  private final Map<String, FunctionDef> library = new HashMap<>();
  private final Map<String, FlatNode> emitted = new LinkedHashMap<>();
  private final Map<String, String> variableConsts = new LinkedHashMap<>();
  private final Frame topFrame;
  private boolean usesFunctions;

  TfFlattener(Path source, GraphDef top) {
    this.source = source;
    this.top = top;
    for (FunctionDef f : top.getLibrary().getFunctionList()) {
      library.put(f.getSignature().getName(), f);
    }
    Map<String, NodeDef> nodes = new LinkedHashMap<>();
    for (NodeDef n : top.getNodeList()) {
      nodes.put(n.getName(), n);
    }
    topFrame = new Frame("", nodes, Map.of(), false, "the graph");
  }

  /** One function instance (or the top-level graph) being inlined. */
  private final class Frame {
    final String prefix;
    final Map<String, NodeDef> nodes;
    final Map<String, Ref> args;
    final boolean functionSyntax;
    final String what;
    final Map<String, Out> done = new HashMap<>();
    final Set<String> inProgress = new HashSet<>();

    Frame(
        String prefix,
        Map<String, NodeDef> nodes,
        Map<String, Ref> args,
        boolean functionSyntax,
        String what) {
      this.prefix = prefix;
      this.nodes = nodes;
      this.args = args;
      this.functionSyntax = functionSyntax;
      this.what = what;
    }
  }

  /**
   * Resolves top-level tensor names ({@code StatefulPartitionedCall:0}), inlining whatever they
   * need. Nodes are emitted in the order the graph or function body lists them.
   */
  List<Ref> resolve(List<String> topTensors) {
    emitInBodyOrder(topFrame, topFrame.nodes.values(), topTensors);
    List<Ref> out = new ArrayList<>();
    for (String t : topTensors) {
      out.add(input(topFrame, t));
    }
    return out;
  }

  /** Emitted nodes in topological order. */
  List<FlatNode> nodes() {
    return List.copyOf(emitted.values());
  }

  /** Flat {@code Const} node name to the variable (top-level VarHandleOp name) it stands for. */
  Map<String, String> variableConsts() {
    return Map.copyOf(variableConsts);
  }

  /** The flat GraphDef, with the variable constants set to {@code values} (by variable name). */
  GraphDef build(Map<String, TensorProto> values) {
    GraphDef.Builder g = GraphDef.newBuilder();
    if (top.hasVersions()) {
      g.setVersions(top.getVersions());
    }
    for (FlatNode n : emitted.values()) {
      String var = variableConsts.get(n.name());
      if (var == null) {
        g.addNode(n.def());
        continue;
      }
      TensorProto value = values.get(var);
      if (value == null) {
        throw PortcheckException.corrupt(source, "variable '" + var + "' has no value", null);
      }
      g.addNode(
          n.def().toBuilder()
              .putAttr("value", AttrValue.newBuilder().setTensor(value).build())
              .putAttr("dtype", AttrValue.newBuilder().setType(value.getDtype()).build()));
    }
    if (usesFunctions) {
      // Functional control flow (If/While) still names bodies in the library.
      g.setLibrary(top.getLibrary());
    }
    return g.build();
  }

  private void emitInBodyOrder(Frame f, Iterable<NodeDef> body, List<String> roots) {
    Set<String> needed = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>();
    for (String r : roots) {
      String n = nodeOf(f, r);
      if (n != null) {
        todo.add(n);
      }
    }
    while (!todo.isEmpty()) {
      String n = todo.pop();
      if (!needed.add(n)) {
        continue;
      }
      NodeDef def = f.nodes.get(n);
      if (def == null) {
        continue;
      }
      for (String in : def.getInputList()) {
        String m = nodeOf(f, in);
        if (m != null && !needed.contains(m)) {
          todo.add(m);
        }
      }
    }
    for (NodeDef n : body) {
      if (needed.contains(n.getName())) {
        visit(f, n.getName());
      }
    }
  }

  /** The node an input string names in this frame, or null for control inputs and arguments. */
  private static String nodeOf(Frame f, String input) {
    if (input.startsWith("^")) {
      return null;
    }
    int c = input.indexOf(':');
    String name = c < 0 ? input : input.substring(0, c);
    if (f.functionSyntax && c < 0 && f.args.containsKey(name)) {
      return null;
    }
    return name;
  }

  private Ref input(Frame f, String input) {
    String[] parts = input.split(":");
    if (f.functionSyntax) {
      if (parts.length == 1) {
        Ref arg = f.args.get(parts[0]);
        if (arg != null) {
          return arg;
        }
        return output(f, parts[0], null, 0);
      }
      if (parts.length == 3) {
        return output(f, parts[0], parts[1], parseIndex(f, input, parts[2]));
      }
      return output(f, parts[0], null, parseIndex(f, input, parts[1]));
    }
    return output(f, parts[0], null, parts.length > 1 ? parseIndex(f, input, parts[1]) : 0);
  }

  private int parseIndex(Frame f, String input, String idx) {
    try {
      return Integer.parseInt(idx);
    } catch (NumberFormatException e) {
      throw PortcheckException.corrupt(
          source, "malformed input reference '" + input + "' in " + f.what, e);
    }
  }

  private Ref output(Frame f, String node, String arg, int idx) {
    Out o = visit(f, node);
    if (o instanceof Pass p) {
      return p.ref();
    }
    if (o instanceof Call c) {
      int i = arg == null || "output".equals(arg) ? idx : indexOf(c, arg, f, node) + idx;
      if (i < 0 || i >= c.outputs().size()) {
        throw PortcheckException.corrupt(
            source, "call '" + node + "' in " + f.what + " has no output " + idx, null);
      }
      return c.outputs().get(i);
    }
    Emitted e = (Emitted) o;
    int flat = idx;
    if (arg != null) {
      flat = TfOpDefs.flatIndex(e.def(), arg, idx);
      if (flat < 0) {
        throw PortcheckException.corrupt(
            source,
            "node '"
                + node
                + "' ("
                + e.def().getOp()
                + ") in "
                + f.what
                + " has no output '"
                + arg
                + "'; it has "
                + TfOpDefs.outputArgs(e.def().getOp()),
            null);
      }
    }
    return Ref.ofTensor(e.name() + ":" + flat);
  }

  private int indexOf(Call c, String arg, Frame f, String node) {
    Integer i = c.argIndex().get(arg);
    if (i == null) {
      throw PortcheckException.corrupt(
          source, "call '" + node + "' in " + f.what + " has no output '" + arg + "'", null);
    }
    return i;
  }

  private Out visit(Frame f, String name) {
    Out done = f.done.get(name);
    if (done != null) {
      return done;
    }
    NodeDef n = f.nodes.get(name);
    if (n == null) {
      throw PortcheckException.corrupt(
          source, f.what + " references a missing node '" + name + "'", null);
    }
    if (!f.inProgress.add(name)) {
      throw PortcheckException.corrupt(
          source, "node '" + name + "' in " + f.what + " is part of a cycle", null);
    }
    Out out = compute(f, n);
    f.inProgress.remove(name);
    f.done.put(name, out);
    return out;
  }

  private Out compute(Frame f, NodeDef n) {
    String op = n.getOp();
    if ("VarHandleOp".equals(op)) {
      return new Pass(Ref.ofVariable(f.prefix + n.getName()));
    }
    List<Ref> ins = new ArrayList<>();
    for (String in : n.getInputList()) {
      if (!in.startsWith("^")) {
        ins.add(input(f, in));
      }
    }
    if (CALL_OPS.contains(op) || library.containsKey(op)) {
      return inline(f, n, ins);
    }
    Ref variable = ins.stream().filter(r -> r.variable() != null).findFirst().orElse(null);
    if (variable != null) {
      if ("Identity".equals(op)) {
        return new Pass(variable);
      }
      if ("ReadVariableOp".equals(op)) {
        variableConst(f.prefix + n.getName(), n, variable);
        // Consumers still name the ReadVariableOp's output argument ("value"): keep its OpDef.
        return new Emitted(f.prefix + n.getName(), n);
      }
      if (RESOURCE_READS.contains(op) && ins.get(0) == variable && ins.size() > 1) {
        return resourceRead(f, n, variable, ins);
      }
      throw PortcheckException.unsupportedOp(
          source,
          f.prefix + n.getName(),
          op,
          new IllegalStateException(
              "it uses variable '"
                  + variable.variable()
                  + "' other than through "
                  + String.join(", ", RESOURCE_READS)
                  + " or ReadVariableOp"));
    }
    NodeDef.Builder b = n.toBuilder().setName(f.prefix + n.getName()).clearInput().clearDevice();
    boolean dynamic = "Placeholder".equals(op) || "PlaceholderWithDefault".equals(op);
    for (Ref r : ins) {
      b.addInput(r.tensor());
      FlatNode src = emitted.get(r.node());
      dynamic |= src != null && src.dynamic();
    }
    for (String k : List.copyOf(b.getAttrMap().keySet())) {
      // Colocation and XLA hints name nodes of the original graph; they do not survive renaming.
      if (k.startsWith("_")) {
        b.removeAttr(k);
      }
    }
    for (AttrValue v : b.getAttrMap().values()) {
      usesFunctions |= v.hasFunc() || v.getList().getFuncCount() > 0;
    }
    return emit(b.build(), n.getName(), dynamic);
  }

  /** A Const standing for a variable's value (filled in by {@link #build}), named {@code name}. */
  private void variableConst(String name, NodeDef reader, Ref variable) {
    NodeDef.Builder c =
        NodeDef.newBuilder()
            .setName(name)
            .setOp("Const")
            .putAttr("dtype", reader.getAttrOrDefault("dtype", AttrValue.getDefaultInstance()));
    variableConsts.put(name, variable.variable());
    emit(c.build(), reader.getName(), false);
  }

  /**
   * A read of a variable by an op that takes the resource itself (Keras' Embedding gathers rows
   * with ResourceGather): the same op on the variable's value, which the flat graph holds as a
   * Const. {@code ResourceGather(v, ids)} gathers along axis {@code batch_dims} like {@code
   * GatherV2(value, ids, batch_dims)}; {@code ResourceGatherNd} is {@code GatherNd}.
   */
  private Out resourceRead(Frame f, NodeDef n, Ref variable, List<Ref> ins) {
    String name = f.prefix + n.getName();
    String value = name + "/portcheck_value";
    variableConst(value, n, variable);
    AttrValue dtype = n.getAttrOrDefault("dtype", AttrValue.getDefaultInstance());
    AttrValue tindices = n.getAttrOrDefault("Tindices", type(DataType.DT_INT32));
    NodeDef.Builder b =
        NodeDef.newBuilder().setName(name).addInput(value + ":0").addInput(ins.get(1).tensor());
    if ("ResourceGather".equals(n.getOp())) {
      long batchDims =
          n.getAttrOrDefault("batch_dims", AttrValue.newBuilder().setI(0).build()).getI();
      String axis = name + "/portcheck_axis";
      emit(
          NodeDef.newBuilder()
              .setName(axis)
              .setOp("Const")
              .putAttr("dtype", type(DataType.DT_INT64))
              .putAttr(
                  "value",
                  AttrValue.newBuilder()
                      .setTensor(
                          TensorProto.newBuilder()
                              .setDtype(DataType.DT_INT64)
                              .addInt64Val(batchDims))
                      .build())
              .build(),
          n.getName(),
          false);
      b.setOp("GatherV2")
          .addInput(axis + ":0")
          .putAttr("batch_dims", AttrValue.newBuilder().setI(batchDims).build())
          .putAttr("Taxis", type(DataType.DT_INT64));
    } else {
      b.setOp("GatherNd");
    }
    b.putAttr("Tparams", dtype).putAttr("Tindices", tindices);
    FlatNode ids = emitted.get(ins.get(1).node());
    emit(b.build(), n.getName(), ids != null && ids.dynamic());
    // Consumers name the resource op's output argument ("output", as GatherV2's): keep its OpDef.
    return new Emitted(name, n);
  }

  private static AttrValue type(DataType t) {
    return AttrValue.newBuilder().setType(t).build();
  }

  private Emitted emit(NodeDef def, String local, boolean dynamic) {
    emitted.put(def.getName(), new FlatNode(def.getName(), local, def.getOp(), dynamic, def));
    return new Emitted(def.getName(), def);
  }

  private Out inline(Frame f, NodeDef n, List<Ref> ins) {
    String fname =
        CALL_OPS.contains(n.getOp()) ? n.getAttrOrThrow("f").getFunc().getName() : n.getOp();
    FunctionDef fd = library.get(fname);
    if (fd == null) {
      throw PortcheckException.corrupt(
          source,
          "node '" + n.getName() + "' calls function '" + fname + "', which is missing",
          null);
    }
    OpDef sig = fd.getSignature();
    if (sig.getInputArgCount() != ins.size()) {
      throw PortcheckException.unsupportedOp(
          source,
          f.prefix + n.getName(),
          fname,
          new IllegalStateException(
              "it passes " + ins.size() + " inputs to " + sig.getInputArgCount() + " arguments"));
    }
    Map<String, Ref> args = new HashMap<>();
    for (int i = 0; i < ins.size(); i++) {
      args.put(sig.getInputArg(i).getName(), ins.get(i));
    }
    Map<String, NodeDef> body = new LinkedHashMap<>();
    for (NodeDef d : fd.getNodeDefList()) {
      body.put(d.getName(), d);
    }
    Frame inner = new Frame(f.prefix + n.getName() + "/", body, args, true, "function " + fname);
    List<String> rets = new ArrayList<>();
    Map<String, Integer> argIndex = new HashMap<>();
    for (OpDef.ArgDef out : sig.getOutputArgList()) {
      String ret = fd.getRetMap().get(out.getName());
      if (ret == null) {
        throw PortcheckException.corrupt(
            source, "function " + fname + " does not return '" + out.getName() + "'", null);
      }
      argIndex.put(out.getName(), rets.size());
      rets.add(ret);
    }
    emitInBodyOrder(inner, fd.getNodeDefList(), rets);
    List<Ref> outs = new ArrayList<>();
    for (String r : rets) {
      outs.add(input(inner, r));
    }
    return new Call(outs, argIndex);
  }
}
