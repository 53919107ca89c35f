package dev.portcheck.importers.tensorflow;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.InputLimits;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.tensorflow.TfFlattener.Ref;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RewriterConfig;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;

/** Reads SavedModel folders and frozen GraphDefs into a {@link TfModelView}. */
final class TfLoader {
  static final String SAVED_MODEL_PB = "saved_model.pb";
  private static final String SERVING = "serving_default";
  private static final String INIT_OP = "__saved_model_init_op";
  private static final Set<String> NOT_OUTPUTS = Set.of("NoOp", "Const", "Placeholder", "Assert");

  private TfLoader() {}

  /** Whether a file parses as a GraphDef whose nodes all have names and op types. */
  static boolean probeGraphDef(Path path) {
    try {
      GraphDef g = GraphDef.parseFrom(Files.readAllBytes(path));
      return plausible(g);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static boolean plausible(GraphDef g) {
    // An ONNX file parses as an empty GraphDef (its fields land in unknown fields): demand ops.
    return g.getNodeCount() > 0
        && g.getNodeList().stream().allMatch(n -> !n.getName().isEmpty() && !n.getOp().isEmpty());
  }

  private static byte[] readAll(Path path) {
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw PortcheckException.unreadable(path, e);
    }
  }

  private static PortcheckException badProto(Path path, String what, Exception e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if (m.contains("truncated") || m.contains("ended unexpectedly")) {
      return PortcheckException.truncated(path, what + " ends in the middle of a record");
    }
    return PortcheckException.corrupt(path, what + " does not parse (" + e.getMessage() + ")", e);
  }

  static TfModelView openFrozen(Path path) {
    byte[] bytes = readAll(path);
    if (bytes.length == 0) {
      throw PortcheckException.truncated(path, "the file is empty");
    }
    GraphDef g;
    try {
      g = GraphDef.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw badProto(path, "the frozen GraphDef", e);
    }
    if (!plausible(g)) {
      throw PortcheckException.corrupt(
          path,
          "not a TensorFlow GraphDef (no named ops; "
              + g.getNodeCount()
              + " nodes); a SavedModel is opened by its folder",
          null);
    }
    Set<String> consumed = new HashSet<>();
    for (NodeDef n : g.getNodeList()) {
      for (String i : n.getInputList()) {
        if (!i.startsWith("^")) {
          consumed.add(TfLayers.nodeOf(i));
        }
      }
    }
    Map<String, String> inputs = new LinkedHashMap<>();
    List<String> outputNames = new ArrayList<>();
    List<String> outputTensors = new ArrayList<>();
    for (NodeDef n : g.getNodeList()) {
      if ("Placeholder".equals(n.getOp())) {
        inputs.put(n.getName(), n.getName() + ":0");
      } else if (!consumed.contains(n.getName()) && !NOT_OUTPUTS.contains(n.getOp())) {
        outputNames.add(n.getName());
        outputTensors.add(n.getName() + ":0");
      }
    }
    if (outputTensors.isEmpty()) {
      throw PortcheckException.corrupt(path, "the graph has no output op", null);
    }
    TfFlattener flat = new TfFlattener(path, g);
    List<Ref> outs = flat.resolve(outputTensors);
    if (!flat.variableConsts().isEmpty()) {
      throw PortcheckException.notRunnable(
          path, "the GraphDef still holds variables; freeze it or pass the SavedModel folder");
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "frozen_graphdef");
    meta.put("graphProducer", Long.toString(g.getVersions().getProducer()));
    meta.put("engine", "TensorFlow Java (TF " + TensorFlow.version() + ")");
    List<TensorInfo> inInfos = new ArrayList<>();
    Map<String, NodeDef> byName = new LinkedHashMap<>();
    g.getNodeList().forEach(n -> byName.put(n.getName(), n));
    for (String in : inputs.keySet()) {
      NodeDef p = byName.get(in);
      List<Long> dims =
          p.containsAttr("shape") ? TfTensors.dims(p.getAttrOrThrow("shape").getShape()) : null;
      DType dt = TfTensors.dtype(p.getAttrOrThrow("dtype").getType());
      inInfos.add(new TensorInfo(in, dt, dims, layoutOf(dims)));
    }
    return assemble(
        path,
        flat,
        Map.of(),
        Set.of(),
        inputs,
        inInfos,
        outputNames,
        outs,
        null,
        false,
        null,
        meta);
  }

  static TfModelView openSavedModel(Path dir) {
    Path pb = dir.resolve(SAVED_MODEL_PB);
    if (!Files.isRegularFile(pb)) {
      throw PortcheckException.corrupt(
          dir, "the folder has no saved_model.pb; pass a SavedModel folder or a frozen .pb", null);
    }
    byte[] bytes = readAll(pb);
    if (bytes.length == 0) {
      throw PortcheckException.truncated(pb, "saved_model.pb is empty");
    }
    SavedModel sm;
    try {
      sm = SavedModel.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw badProto(pb, "saved_model.pb", e);
    }
    if (sm.getMetaGraphsCount() == 0) {
      throw PortcheckException.corrupt(pb, "saved_model.pb holds no MetaGraphDef", null);
    }
    MetaGraphDef mg =
        sm.getMetaGraphsList().stream()
            .filter(m -> m.getMetaInfoDef().getTagsList().contains("serve"))
            .findFirst()
            .orElse(sm.getMetaGraphs(0));
    GraphDef top = mg.getGraphDef();
    Set<String> allVariables = new HashSet<>();
    top.getNodeList().stream()
        .filter(n -> "VarHandleOp".equals(n.getOp()))
        .forEach(n -> allVariables.add(n.getName()));
    if (!allVariables.isEmpty()
        && !Files.isRegularFile(dir.resolve("variables").resolve("variables.index"))) {
      throw PortcheckException.corrupt(
          dir,
          "the graph declares "
              + allVariables.size()
              + " variables but variables/variables.index is missing; copy the whole SavedModel"
              + " folder including variables/",
          null);
    }
    String sigName =
        mg.containsSignatureDef(SERVING)
            ? SERVING
            : mg.getSignatureDefMap().keySet().stream()
                .filter(k -> !INIT_OP.equals(k))
                .sorted()
                .findFirst()
                .orElseThrow(
                    () ->
                        PortcheckException.notRunnable(
                            dir, "the SavedModel has no serving signature"));
    SignatureDef sig = mg.getSignatureDefOrThrow(sigName);
    Map<String, String> inputs = new LinkedHashMap<>();
    List<TensorInfo> inInfos = new ArrayList<>();
    for (var e : sig.getInputsMap().entrySet()) {
      inputs.put(e.getKey(), e.getValue().getName());
      List<Long> dims = TfTensors.dims(e.getValue().getTensorShape());
      inInfos.add(
          new TensorInfo(
              e.getKey(), TfTensors.dtype(e.getValue().getDtype()), dims, layoutOf(dims)));
    }
    List<String> outNames = new ArrayList<>(sig.getOutputsMap().keySet());
    List<String> outTensors = new ArrayList<>();
    outNames.forEach(k -> outTensors.add(sig.getOutputsOrThrow(k).getName()));
    TfFlattener flat = new TfFlattener(dir, top);
    List<Ref> outs = flat.resolve(outTensors);
    Map<String, org.tensorflow.proto.TensorProto> values = Map.of();
    String[] tags = mg.getMetaInfoDef().getTagsList().toArray(new String[0]);
    Set<String> variables = new HashSet<>(flat.variableConsts().values());
    // Only variables need TensorFlow's own loader (to restore them). A graph that holds its
    // weights as constants (onnx2tf writes those) is not loaded twice: that second copy of
    // ResNet-50's graph in TensorFlow cost 1 GB of peak memory.
    if (!variables.isEmpty()) {
      try (SavedModelBundle bundle =
          SavedModelBundle.loader(dir.toString()).withTags(tags).load()) {
        values = TfVariables.read(dir, bundle, top, variables);
      } catch (PortcheckException e) {
        throw e;
      } catch (RuntimeException e) {
        throw savedModelLoadFailure(dir, e);
      }
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "savedmodel");
    boolean tfKeras = Files.isRegularFile(dir.resolve("keras_metadata.pb"));
    meta.put("producer", tfKeras ? "tf_keras" : guessProducer(top));
    meta.put("tensorflowVersion", mg.getMetaInfoDef().getTensorflowVersion());
    meta.put("tensorflowGitVersion", mg.getMetaInfoDef().getTensorflowGitVersion());
    meta.put("graphProducer", Long.toString(top.getVersions().getProducer()));
    meta.put("signature", sigName);
    meta.put("tags", String.join(",", tags));
    meta.put("engine", "TensorFlow Java (TF " + TensorFlow.version() + ")");
    TfKerasTree.Node keras = tfKeras ? TfKerasTree.read(dir) : null;
    if (keras != null) {
      meta.put("kerasModel", keras.name() + " (" + keras.simpleClass() + ")");
    }
    return assemble(
        dir,
        flat,
        values,
        allVariables,
        inputs,
        inInfos,
        outNames,
        outs,
        sig,
        !tfKeras,
        keras,
        meta);
  }

  /**
   * TensorFlow's checkpoint reader reports a cut or damaged {@code variables.data-*} as "Read less
   * bytes than requested", "Data loss" or a checksum error: name the folder part to copy again.
   */
  static PortcheckException savedModelLoadFailure(Path dir, RuntimeException e) {
    String m = String.valueOf(e.getMessage());
    String lower = m.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("read less bytes than requested")
        || lower.contains("truncated")
        || lower.contains("unexpected end")) {
      return PortcheckException.truncated(
          dir,
          "variables/variables.data-* is shorter than variables/variables.index says (TensorFlow:"
              + " \""
              + firstLine(m)
              + "\"); copy the whole SavedModel folder again");
    }
    if (lower.contains("data loss") || lower.contains("checksum") || lower.contains("corrupt")) {
      return PortcheckException.corrupt(
          dir,
          "its variables/ files are damaged (TensorFlow: \""
              + firstLine(m)
              + "\"); copy the whole SavedModel folder again",
          e);
    }
    return PortcheckException.engine(dir, "loading the SavedModel", e);
  }

  private static String firstLine(String m) {
    int nl = m.indexOf('\n');
    return (nl > 0 ? m.substring(0, nl) : m).strip();
  }

  private static String guessProducer(GraphDef top) {
    boolean call =
        top.getLibrary().getFunctionList().stream()
            .anyMatch(f -> f.getSignature().getName().startsWith("__inference___call___"));
    return call ? "keras3" : "tf.saved_model";
  }

  private static Layout layoutOf(List<Long> dims) {
    if (dims == null) {
      return Layout.UNSPECIFIED;
    }
    return dims.size() == 4 ? Layout.NHWC : dims.size() == 3 ? Layout.NTC : Layout.UNSPECIFIED;
  }

  @SuppressWarnings("try")
  private static TfModelView assemble(
      Path source,
      TfFlattener flat,
      Map<String, org.tensorflow.proto.TensorProto> values,
      Set<String> allVariables,
      Map<String, String> inputs,
      List<TensorInfo> inInfos,
      List<String> outNames,
      List<Ref> outs,
      SignatureDef sig,
      boolean maybeKeras3,
      TfKerasTree.Node keras,
      Map<String, String> meta) {
    // Before any native graph exists: a declared 10^12-element input is refused, not allocated.
    InputLimits.requireFeedable(source, inInfos);
    GraphDef gd = flat.build(values);
    Graph graph = new Graph();
    Session session = null;
    try {
      graph.importGraphDef(gd);
      // Grappler off: the graph runs as written, so a tapped tensor is what its op computes
      // whatever else is fetched, and constant folding does not copy the weights once more
      // (ResNet-50 from onnx2tf: 600 MB less peak memory, and no slower on CPU).
      session =
          new Session(
              graph,
              ConfigProto.newBuilder()
                  .setGraphOptions(
                      GraphOptions.newBuilder()
                          .setRewriteOptions(
                              RewriterConfig.newBuilder().setDisableMetaOptimizer(true)))
                  .build());
      Map<String, String> outTensors = new LinkedHashMap<>();
      List<TensorInfo> outInfos = new ArrayList<>();
      Set<String> outNodes = new HashSet<>();
      for (int i = 0; i < outNames.size(); i++) {
        String t = outs.get(i).tensor();
        if (t == null) {
          throw PortcheckException.notRunnable(
              source, "output '" + outNames.get(i) + "' is a resource, not a tensor");
        }
        outTensors.put(outNames.get(i), t);
        outNodes.add(TfLayers.nodeOf(t));
        var o = graph.output(t);
        List<Long> dims;
        DType dt;
        if (sig != null) {
          var ti = sig.getOutputsOrThrow(outNames.get(i));
          dims = TfTensors.dims(ti.getTensorShape());
          dt = TfTensors.dtype(ti.getDtype());
        } else {
          dims = dimsOf(o.shape());
          dt = TfTensors.dtype(o.dataType());
        }
        outInfos.add(new TensorInfo(outNames.get(i), dt, dims, layoutOf(dims)));
      }
      TfLayers.Result layers =
          TfLayers.build(
              new TfLayers.Input(
                  flat.nodes(),
                  flat.variableConsts(),
                  values,
                  outNodes,
                  maybeKeras3,
                  allVariables,
                  t -> {
                    var out = graph.output(t);
                    return out == null ? null : toArray(dimsOf(out.shape()));
                  },
                  t -> {
                    var out = graph.output(t);
                    return out == null ? null : TfTensors.dtype(out.dataType());
                  },
                  keras));
      meta.put("flatNodes", Integer.toString(gd.getNodeCount()));
      return new TfModelView(
          source, meta, inputs, inInfos, outTensors, outInfos, layers, graph, session);
    } catch (RuntimeException e) {
      if (session != null) {
        session.close();
      }
      graph.close();
      if (e instanceof PortcheckException p) {
        throw p;
      }
      throw PortcheckException.engine(source, "importing the inlined graph", e);
    }
  }

  private static List<Long> dimsOf(Shape s) {
    if (s == null || s.isUnknown()) {
      return null;
    }
    List<Long> out = new ArrayList<>();
    for (long d : s.asArray()) {
      out.add(d < 0 ? -1L : d);
    }
    return out;
  }

  private static long[] toArray(List<Long> dims) {
    return dims == null ? null : dims.stream().mapToLong(Long::longValue).toArray();
  }
}
