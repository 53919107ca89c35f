package dev.portcheck.importers.pytorch;

import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelDescription;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.pytorch.pickle.PtPickled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code torch.save(model.state_dict())} checkpoint: parameters only. Layers are reconstructed by
 * grouping names by module prefix and judged from what the group holds (running statistics mean a
 * BatchNorm, a 4-D weight a conv, a 2-D weight a linear layer); a state_dict stores no attributes,
 * so none are reported, and it cannot be run.
 */
public final class PtCheckpointView implements ModelView {
  private final Path source;
  private final PtCheckpointFile checkpoint;
  private final Map<String, PtPickled.TensorRef> refs;
  private final Map<String, ParameterInfo> parameters;
  private final List<Layer> layers;
  private final Map<String, String> metadata;
  private final AutoCloseable resource;
  private final ModelDescription description;
  private boolean closed;

  PtCheckpointView(Path source, PtCheckpointFile checkpoint, AutoCloseable resource) {
    this.source = source;
    this.resource = resource;
    this.checkpoint = checkpoint;
    this.refs = Collections.unmodifiableMap(stateDict(source, checkpoint.root()));
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (String name : refs.keySet()) {
      int dot = name.lastIndexOf('.');
      groups
          .computeIfAbsent(dot < 0 ? "" : name.substring(0, dot), k -> new ArrayList<>())
          .add(name);
    }
    List<Layer> ls = new ArrayList<>();
    Map<String, OpKind> kindByName = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> g : groups.entrySet()) {
      OpKind kind = guessKind(g.getValue());
      Map<String, String> roles = new LinkedHashMap<>();
      for (String p : g.getValue()) {
        String attr = PtKinds.simpleName(p);
        if (!attr.equals("num_batches_tracked")) {
          roles.put(PtKinds.role(kind, attr), p);
        }
        kindByName.put(p, kind);
      }
      ls.add(
          new Layer(
              g.getKey(),
              "state_dict:" + kind.name().toLowerCase(java.util.Locale.ROOT),
              kind,
              List.of(),
              List.of(),
              Map.of(),
              roles,
              Layout.UNSPECIFIED,
              null,
              false));
    }
    this.layers = List.copyOf(ls);
    Map<String, ParameterInfo> ps = new LinkedHashMap<>();
    refs.forEach(
        (n, r) ->
            ps.put(
                n,
                new ParameterInfo(
                    n,
                    r.dtype(),
                    r.shapeList(),
                    PtKinds.layoutOf(n, r.shapeList(), kindByName.get(n)))));
    this.parameters = Collections.unmodifiableMap(ps);
    Map<String, String> md = new LinkedHashMap<>();
    md.put("format", "state_dict");
    md.put("container", checkpoint.format());
    md.put("tensors", Integer.toString(refs.size()));
    this.metadata = Collections.unmodifiableMap(md);
    // A bare checkpoint declares no inputs or outputs: it only holds parameters.
    this.description =
        ModelDescription.of(
            new PtImporter(), source, metadata, List.of(), List.of(), layers, parameters);
  }

  private OpKind guessKind(List<String> names) {
    boolean stats = names.stream().anyMatch(n -> PtKinds.simpleName(n).equals("running_mean"));
    if (stats) {
      return OpKind.BATCH_NORM;
    }
    for (String n : names) {
      if (PtKinds.simpleName(n).equals("weight")) {
        int rank = refs.get(n).shape().length;
        if (rank >= 3 && rank <= 5) {
          return OpKind.CONV;
        }
        if (rank == 2) {
          return OpKind.LINEAR;
        }
      }
    }
    return OpKind.OTHER;
  }

  /** Finds the name-to-tensor map: the top object, or a common wrapper key, flattened. */
  private static Map<String, PtPickled.TensorRef> stateDict(Path file, Object root) {
    if (root instanceof Map<?, ?> m) {
      for (String key : List.of("state_dict", "model_state_dict", "model", "net")) {
        if (m.get(key) instanceof Map<?, ?> inner && !inner.isEmpty()) {
          root = inner;
          break;
        }
      }
    }
    Map<String, PtPickled.TensorRef> out = new LinkedHashMap<>();
    flatten("", root, out, 0);
    if (out.isEmpty()) {
      throw PortcheckException.corrupt(
          file, "the checkpoint holds no tensors (expected a state_dict: name -> tensor)", null);
    }
    return out;
  }

  private static void flatten(
      String prefix, Object o, Map<String, PtPickled.TensorRef> out, int depth) {
    if (depth > 16) {
      return;
    }
    if (o instanceof PtPickled.TensorRef t) {
      out.put(prefix, t);
    } else if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String k = String.valueOf(e.getKey());
        flatten(prefix.isEmpty() ? k : prefix + "." + k, e.getValue(), out, depth + 1);
      }
    }
  }

  @Override
  public ModelDescription description() {
    return description;
  }

  @Override
  public Tensor parameter(String name) {
    if (closed) {
      throw new IllegalStateException(source + " is closed");
    }
    PtPickled.TensorRef r = refs.get(name);
    if (r == null) {
      throw PortcheckException.unknownParameter(source, name, refs.keySet());
    }
    return checkpoint.storages().materialize(name, r);
  }

  @Override
  public boolean runnable() {
    return false;
  }

  @Override
  public RunResult run(Map<String, Tensor> inputs, TapSelection taps) {
    throw PortcheckException.notRunnable(
        source, "a state_dict holds weights only; export TorchScript to run it");
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (resource != null) {
      try {
        resource.close();
      } catch (Exception e) {
        // Only a read-only zip handle: nothing is lost if closing it fails.
      }
    }
  }
}
