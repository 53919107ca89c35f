package dev.portcheck.importers.tensorflow;

import dev.portcheck.importers.api.DType;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Result;
import org.tensorflow.Session;

/**
 * A TensorFlow model opened from a SavedModel or frozen GraphDef. It owns one Graph (the inlined,
 * flat graph) and one Session, reused across runs; the SavedModel bundle was only needed to read
 * the variables and is already closed.
 */
public final class TfModelView implements ModelView {
  private final Path source;
  private final Map<String, String> metadata;
  private final Map<String, String> inputTensors;
  private final List<TensorInfo> inputs;
  private final Map<String, String> outputTensors;
  private final List<TensorInfo> outputs;
  private final List<Layer> layers;
  private final Map<String, ParameterInfo> parameters;

  /**
   * The Const op of each parameter: values are read from the graph when asked for, rather than kept
   * as protos in the heap for the life of the view (ResNet-50: 100 MB).
   */
  private final Map<String, String> constNodes;

  private final Graph graph;
  private final Session session;
  private boolean closed;

  /**
   * The fetched tensors of the last run in place, which its views read: kept open until this model
   * runs again or closes.
   */
  private Result live;

  private final RunScope.Sequence scopes;
  private final ModelDescription description;

  TfModelView(
      Path source,
      Map<String, String> metadata,
      Map<String, String> inputTensors,
      List<TensorInfo> inputs,
      Map<String, String> outputTensors,
      List<TensorInfo> outputs,
      TfLayers.Result layers,
      Graph graph,
      Session session) {
    this.source = source;
    this.scopes = new RunScope.Sequence(String.valueOf(source.getFileName()));
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    this.inputTensors = Map.copyOf(inputTensors);
    this.inputs = List.copyOf(inputs);
    this.outputTensors = Collections.unmodifiableMap(new LinkedHashMap<>(outputTensors));
    this.outputs = List.copyOf(outputs);
    this.layers = List.copyOf(layers.layers());
    this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(layers.parameters()));
    this.constNodes = Map.copyOf(layers.constNodes());
    this.graph = graph;
    this.session = session;
    this.description =
        ModelDescription.of(
            new TfImporter(), source, metadata, inputs, outputs, this.layers, parameters);
  }

  @Override
  public ModelDescription description() {
    return description;
  }

  @Override
  public synchronized Tensor parameter(String name) {
    String node = constNodes.get(name);
    if (node == null) {
      throw PortcheckException.unknownParameter(source, name, constNodes.keySet());
    }
    if (closed) {
      throw PortcheckException.notRunnable(source, "the model view is closed");
    }
    // The Const op's attribute, not a session run: a run that fetches constants builds (and the
    // session caches) an executor whose kernels hold one more copy of every weight fetched.
    GraphOperation op = graph.operation(node);
    if (op == null) {
      throw PortcheckException.unknownParameter(source, name, constNodes.keySet());
    }
    try (org.tensorflow.Tensor t = op.attributes().getAttrTensor("value")) {
      return TfTensors.fromTf(t);
    } catch (RuntimeException e) {
      throw PortcheckException.engine(source, "reading parameter '" + name + "'", e);
    }
  }

  @Override
  public boolean runnable() {
    return true;
  }

  @Override
  public RunResult run(Map<String, Tensor> given, TapSelection taps) {
    return run(given, taps, false);
  }

  /**
   * Float results are views of the tensors TensorFlow fetched, which this view keeps open until it
   * runs again or closes: TensorFlow allocates fresh output tensors each run and gives no way to
   * write into ours, and copying them out (100 MB per ResNet-50 probe) cost a tapped run more than
   * fetching them did.
   */
  @Override
  public RunResult runInPlace(Map<String, Tensor> given, TapSelection taps) {
    return run(given, taps, true);
  }

  private synchronized RunResult run(
      Map<String, Tensor> given, TapSelection taps, boolean inPlace) {
    if (closed) {
      throw PortcheckException.notRunnable(source, "the model view is closed");
    }
    validate(given);
    // A tensor is fetched once even when several layers return it (a subclassed Keras layer and
    // its last sublayer; a layer that is also the model output): TF refuses duplicate fetches.
    List<String> fetches = new ArrayList<>();
    Map<String, Integer> fetchIndex = new HashMap<>();
    for (String t : outputTensors.values()) {
      fetchIndex.computeIfAbsent(t, k -> fetch(fetches, k));
    }
    List<Layer> tapped = new ArrayList<>();
    for (Layer l : layers) {
      if (taps.includes(l.name())) {
        tapped.add(l);
        fetchIndex.computeIfAbsent(l.outputs().get(0), k -> fetch(fetches, k));
      }
    }
    List<org.tensorflow.Tensor> fed = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (TensorInfo info : inputs) {
        String tensor = inputTensors.get(info.name());
        if (graph.output(tensor) == null) {
          continue; // the signature declares an input the outputs do not depend on
        }
        org.tensorflow.Tensor t = TfTensors.toTf(given.get(info.name()), info.dtype());
        fed.add(t);
        runner.feed(tensor, t);
      }
      fetches.forEach(runner::fetch);
      Map<String, Tensor> outs = new LinkedHashMap<>();
      Map<String, Tensor> layerOuts = new LinkedHashMap<>();
      // This run releases the tensors earlier views read.
      RunScope scope = scopes.next();
      releaseLive();
      Result r = runner.run();
      try {
        // Each fetched tensor is read out once; layers sharing it share the (immutable) copy.
        Map<Integer, Tensor> read = new HashMap<>();
        for (Map.Entry<String, String> o : outputTensors.entrySet()) {
          int i = fetchIndex.get(o.getValue());
          Tensor t = read.get(i);
          if (t == null) {
            t = read(r.get(i), inPlace, scope, o.getKey());
            read.put(i, t);
          }
          outs.put(o.getKey(), t);
        }
        for (Layer l : tapped) {
          int i = fetchIndex.get(l.outputs().get(0));
          Tensor t = read.get(i);
          if (t == null) {
            t = read(r.get(i), inPlace, scope, l.name());
            read.put(i, t);
          }
          layerOuts.put(l.name(), t);
        }
        if (inPlace) {
          live = r;
          r = null;
        }
      } finally {
        if (r != null) {
          r.close();
        }
      }
      return new RunResult(outs, layerOuts, List.of(), Map.of(), scope);
    } catch (PortcheckException e) {
      throw e;
    } catch (RuntimeException e) {
      throw PortcheckException.engine(source, "running the model", e);
    } finally {
      for (org.tensorflow.Tensor t : fed) {
        t.close();
      }
    }
  }

  private static Tensor read(
      org.tensorflow.Tensor t, boolean inPlace, RunScope scope, String name) {
    return inPlace ? TfTensors.viewOf(t, scope, name) : TfTensors.fromTf(t);
  }

  /** Closes the tensors the last run in place left open; its scope has ended before. */
  private void releaseLive() {
    if (live != null) {
      try {
        live.close();
      } catch (RuntimeException e) {
        // A failed native release cannot be retried; the tensors are dropped either way.
      }
      live = null;
    }
  }

  private static int fetch(List<String> fetches, String tensor) {
    fetches.add(tensor);
    return fetches.size() - 1;
  }

  private void validate(Map<String, Tensor> given) {
    for (String name : given.keySet()) {
      if (!inputTensors.containsKey(name)) {
        throw PortcheckException.badInput(
            source,
            "Unknown input name "
                + name
                + ", expected one of "
                + inputs.stream().map(TensorInfo::name).toList()
                + ".");
      }
    }
    for (TensorInfo info : inputs) {
      Tensor t = given.get(info.name());
      if (t == null) {
        throw PortcheckException.badInput(
            source,
            "Missing input "
                + info.name()
                + " ("
                + info.dtype()
                + " "
                + info.shape()
                + "); give every input of "
                + inputs.stream().map(TensorInfo::name).toList()
                + ".");
      }
      boolean compatible =
          t.dtype() == info.dtype()
              || (t.dtype().isFloating() && info.dtype().isFloating())
              || (!t.dtype().isFloating()
                  && !info.dtype().isFloating()
                  && info.dtype() != DType.STRING
                  && info.dtype() != DType.OTHER);
      if (!compatible) {
        throw PortcheckException.badInput(
            source,
            "Input "
                + info.name()
                + " is "
                + info.dtype()
                + " but a "
                + t.dtype()
                + " tensor was given.");
      }
      long[] want = info.shapeArray();
      long[] have = t.shape();
      if (want != null) {
        boolean ok = want.length == have.length;
        for (int i = 0; ok && i < want.length; i++) {
          ok = want[i] < 0 || want[i] == have[i];
        }
        if (!ok) {
          throw PortcheckException.badInput(
              source,
              "Input "
                  + info.name()
                  + " has shape "
                  + Arrays.toString(have)
                  + " but the model expects "
                  + info.shape()
                  + " (-1 = any; layout "
                  + info.layout()
                  + ").");
        }
      }
    }
  }

  /** Closes the Session, then the Graph; keeps going if one fails; a second call does nothing. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    scopes.close();
    releaseLive();
    try {
      session.close();
    } catch (RuntimeException e) {
      // Nothing sensible to do beyond releasing the graph too.
    } finally {
      try {
        graph.close();
      } catch (RuntimeException e) {
        // close() never throws (ModelView contract).
      }
    }
  }
}
