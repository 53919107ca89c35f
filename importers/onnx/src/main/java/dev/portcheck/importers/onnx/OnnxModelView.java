package dev.portcheck.importers.onnx;

import dev.portcheck.importers.api.InputLimits;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelDescription;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.RunScope;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.onnx.proto.ModelProto;
import dev.portcheck.importers.onnx.proto.OperatorSetIdProto;
import dev.portcheck.importers.onnx.proto.StringStringEntryProto;
import dev.portcheck.importers.onnx.proto.TensorProto;
import dev.portcheck.importers.onnx.proto.ValueInfoProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * An opened ONNX model: its declaration, nodes as layers, initializers (and Constant values) as
 * parameters, and a runner backed by ONNX Runtime. The parsed model stays in memory; ORT sessions
 * are created on the first {@link #run} and released by {@link #close()}.
 */
public final class OnnxModelView implements ModelView {
  private final Path source;
  private final ModelProto model;
  private final Map<String, String> metadata;
  private final List<TensorInfo> inputs;
  private final List<TensorInfo> outputs;
  private final List<Layer> layers;
  private final Map<String, ParameterInfo> parameters;
  private final Map<String, TensorProto> tensors;
  private final OnnxExternalData external;
  private final OnnxRunner runner;
  private final RunScope.Sequence scopes;
  private final ModelDescription description;

  /** The control-flow nodes around each layer inside a subgraph, outermost first. */
  private final Map<String, List<OnnxControlFlow.Frame>> frames;

  private final boolean hasIf;

  OnnxModelView(Path source, ModelProto model) {
    this.source = source;
    this.model = model;
    this.external = new OnnxExternalData(source);
    this.scopes = new RunScope.Sequence(String.valueOf(source.getFileName()));
    this.metadata = Collections.unmodifiableMap(metadataOf(model));
    Set<String> initializers = new HashSet<>();
    model.getGraph().getInitializerList().forEach(t -> initializers.add(t.getName()));
    List<TensorInfo> in = new ArrayList<>();
    for (ValueInfoProto v : model.getGraph().getInputList()) {
      // IR < 4 exporters list every weight as a graph input too; those are not inputs to feed.
      if (!initializers.contains(v.getName())) {
        in.add(OnnxTypes.graphInput(model.getGraph(), v));
      }
    }
    this.inputs = List.copyOf(in);
    InputLimits.requireFeedable(source, inputs);
    this.outputs = model.getGraph().getOutputList().stream().map(OnnxTypes::tensorInfo).toList();
    OnnxGraphReader.Contents c =
        OnnxGraphReader.read(model.getGraph(), t -> OnnxTensorData.decode(source, t, external));
    this.layers = List.copyOf(c.layers());
    this.parameters = Collections.unmodifiableMap(c.parameters());
    this.tensors = c.tensors();
    this.frames = Map.copyOf(c.frames());
    this.hasIf = layers.stream().anyMatch(l -> "If".equals(l.opType()));
    boolean hasExternal = false;
    for (TensorProto t : tensors.values()) {
      if (OnnxExternalData.isExternal(t)) {
        external.check(t); // refuse unsafe locations at open, before anything runs
        hasExternal = true;
      }
    }
    this.runner = new OnnxRunner(source, model, external, hasExternal);
    this.description =
        ModelDescription.of(
            new OnnxImporter(), source, metadata, inputs, outputs, layers, parameters);
  }

  private static Map<String, String> metadataOf(ModelProto m) {
    Map<String, String> md = new LinkedHashMap<>();
    md.put("format", "ONNX");
    md.put("producer_name", m.getProducerName());
    md.put("producer_version", m.getProducerVersion());
    md.put("ir_version", Long.toString(m.getIrVersion()));
    md.put(
        "opsets",
        m.getOpsetImportList().stream()
            .map(o -> (o.getDomain().isEmpty() ? "ai.onnx" : o.getDomain()) + ":" + o.getVersion())
            .collect(Collectors.joining(",")));
    md.put("domain", m.getDomain());
    md.put("model_version", Long.toString(m.getModelVersion()));
    for (StringStringEntryProto e : m.getMetadataPropsList()) {
      md.putIfAbsent("meta." + e.getKey(), e.getValue());
    }
    return md;
  }

  /** The default-domain opset version, or 0 when the model imports none. */
  long opsetVersion() {
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || "ai.onnx".equals(o.getDomain())) {
        return o.getVersion();
      }
    }
    return 0;
  }

  @Override
  public ModelDescription description() {
    return description;
  }

  @Override
  public Tensor parameter(String name) {
    TensorProto t = tensors.get(name);
    if (t == null) {
      throw PortcheckException.unknownParameter(source, name, parameters.keySet());
    }
    return OnnxTensorData.decode(source, t, external);
  }

  @Override
  public boolean runnable() {
    return true;
  }

  @Override
  public RunResult run(Map<String, Tensor> given, TapSelection taps) {
    return run(given, taps, false);
  }

  /** Float outputs are written by ORT into buffers kept for the next runs (pinned outputs). */
  @Override
  public RunResult runInPlace(Map<String, Tensor> given, TapSelection taps) {
    return run(given, taps, true);
  }

  // Synchronized so that the scope started here is the one whose buffers this run writes.
  private synchronized RunResult run(
      Map<String, Tensor> given, TapSelection taps, boolean inPlace) {
    OnnxInputs.validate(source, inputs, given);
    Set<String> names = new HashSet<>();
    layers.forEach(l -> names.add(l.name()));
    for (String requested : taps.layers()) {
      if (!names.contains(requested)) {
        throw PortcheckException.badInput(
            source,
            "Unknown layer name " + requested + " to tap; see the layer list (inspect) for names.");
      }
    }
    Map<String, String> tapOutputs = new LinkedHashMap<>(); // tensor name -> layer name
    Set<String> sessionOutputs = new LinkedHashSet<>();
    boolean tapping = taps.all() || !taps.layers().isEmpty();
    List<String> untapped = new ArrayList<>();
    Map<String, String> reasons = new LinkedHashMap<>();
    // Which branch each If takes on these inputs: that branch is inlined for the tapped run.
    Map<String, Boolean> taken = tapping && hasIf ? runner.conditions(inputs, given) : Map.of();
    for (Layer l : layers) {
      String notRun = l.tappable() ? notExecuted(l, taken) : null;
      // A tapped run always uses the session that exposes every tappable tensor and copies out
      // only the requested ones: ORT 1.29 crashed (SIGSEGV in session creation) on a tf2onnx
      // model with some partial output sets, and one session serves every tap set.
      if (tapping && l.tappable() && notRun == null) {
        sessionOutputs.add(l.outputs().get(0));
      }
      if (!taps.includes(l.name())) {
        continue;
      }
      if (l.tappable() && notRun == null) {
        tapOutputs.put(l.outputs().get(0), l.name());
      } else if (notRun != null) {
        untapped.add(l.name());
        reasons.put(l.name(), notRun);
      } else if (!taps.all()) {
        untapped.add(l.name());
        if (l.note() != null) {
          reasons.put(l.name(), l.note());
        }
      }
    }
    List<String> outNames = outputs.stream().map(TensorInfo::name).toList();
    Set<String> notCopied = new LinkedHashSet<>();
    // Any run may overwrite (or release, on a new input shape) the buffers earlier views read.
    RunScope scope = scopes.next();
    Map<String, Tensor> values =
        runner.run(
            inputs,
            given,
            outNames,
            sessionOutputs,
            taken,
            tapOutputs.keySet(),
            notCopied,
            inPlace ? scope : null);
    Map<String, Tensor> modelOutputs = new LinkedHashMap<>();
    for (String o : outNames) {
      if (values.containsKey(o)) {
        modelOutputs.put(o, values.get(o));
      }
    }
    Map<String, Tensor> layerOutputs = new LinkedHashMap<>();
    tapOutputs.forEach(
        (tensor, layer) -> {
          Tensor t = values.get(tensor);
          if (t != null) {
            layerOutputs.put(layer, t);
          } else {
            untapped.add(layer);
            reasons.put(
                layer,
                inLoop(layer)
                    ? "not executed on this input: its Loop ran no iteration"
                    : "not tapped: its output is not a tensor of numbers (a sequence, strings)");
          }
        });
    return new RunResult(modelOutputs, layerOutputs, untapped, reasons, scope);
  }

  private boolean inLoop(String layer) {
    List<OnnxControlFlow.Frame> f = frames.getOrDefault(layer, List.of());
    return !f.isEmpty() && "Loop".equals(f.get(f.size() - 1).opType());
  }

  /**
   * Why a layer inside If branches did not run on this input (an enclosing If took the other
   * branch, or its condition could not be computed ahead), or null when it ran.
   */
  private static String notExecuted(
      List<OnnxControlFlow.Frame> around, Map<String, Boolean> taken) {
    for (OnnxControlFlow.Frame f : around) {
      if (!"If".equals(f.opType())) {
        continue;
      }
      Boolean then = taken.get(f.node());
      if (then == null) {
        return "not tapped: the condition of If '"
            + f.nodeName()
            + "' depends on another control-flow node, so portcheck cannot choose its branch"
            + " before the run";
      }
      String branch = then ? "then_branch" : "else_branch";
      if (!branch.equals(f.attribute())) {
        return "not executed on this input: If '" + f.nodeName() + "' took its " + branch;
      }
    }
    return null;
  }

  private String notExecuted(Layer l, Map<String, Boolean> taken) {
    List<OnnxControlFlow.Frame> around = frames.get(l.name());
    return around == null ? null : notExecuted(around, taken);
  }

  /** The serialised copy of the model that a run tapping {@code tensors} loads (tests, fuzzing). */
  byte[] editedForTaps(Set<String> tensors) {
    return runner.editedModel(tensors);
  }

  /** Loads the model into ONNX Runtime once, so that an engine refusal surfaces at open. */
  void validate() {
    runner.validate();
  }

  @Override
  public void close() {
    scopes.close();
    runner.close();
  }
}
