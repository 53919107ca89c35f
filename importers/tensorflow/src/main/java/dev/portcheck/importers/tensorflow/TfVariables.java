package dev.portcheck.importers.tensorflow;

import dev.portcheck.importers.api.PortcheckException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;

/** Reads restored variable values out of a loaded SavedModel bundle, all in one session run. */
final class TfVariables {
  private TfVariables() {}

  static Map<String, TensorProto> read(
      Path source, SavedModelBundle bundle, GraphDef top, Collection<String> variables) {
    Map<String, TensorProto> out = new LinkedHashMap<>();
    if (variables.isEmpty()) {
      return out;
    }
    Map<String, NodeDef> nodes = new LinkedHashMap<>();
    top.getNodeList().forEach(n -> nodes.put(n.getName(), n));
    Graph g = bundle.graph();
    Session s = bundle.session();
    Session.Runner runner = s.runner();
    List<String> names = new ArrayList<>();
    int i = 0;
    for (String v : variables) {
      NodeDef handle = nodes.get(v);
      GraphOperation op = g.operation(v);
      if (handle == null || op == null) {
        throw PortcheckException.corrupt(source, "variable '" + v + "' is not in the graph", null);
      }
      DataType dt = handle.getAttrOrThrow("dtype").getType();
      // A read op of our own: the graph's "<var>/Read/ReadVariableOp" exists only for some writers.
      GraphOperation read =
          g.opBuilder("ReadVariableOp", "portcheck_read_variable_" + i++, g.baseScope())
              .addInput(op.output(0))
              .setAttr("dtype", dt)
              .build();
      runner.fetch(read.name());
      names.add(v);
    }
    try (Result r = runner.run()) {
      for (int k = 0; k < names.size(); k++) {
        out.put(names.get(k), TfTensors.toProto(r.get(k)));
      }
    }
    return out;
  }
}
