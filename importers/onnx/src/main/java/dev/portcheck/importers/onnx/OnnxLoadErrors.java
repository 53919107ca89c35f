package dev.portcheck.importers.onnx;

import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.onnx.proto.GraphProto;
import dev.portcheck.importers.onnx.proto.NodeProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns ONNX Runtime's session-creation failures into one actionable sentence. ORT's messages carry
 * an error-code prefix, C++ source locations and signatures; the user needs the node, the tensor or
 * the opset, and what to do.
 */
final class OnnxLoadErrors {
  private static final Pattern MISSING_KERNEL =
      Pattern.compile("implementation for (\\w+)\\(\\d+\\) node with name '([^']*)'");
  private static final Pattern NO_OP =
      Pattern.compile(
          "In Node, \\(\"([^\"]*)\", ([\\w.]+), \"([^\"]*)\".*?No Op registered for ([\\w.]+) with"
              + " domain_version of (\\d+)",
          Pattern.DOTALL);
  private static final Pattern NO_OP_SHORT =
      Pattern.compile("No Op registered for ([\\w.]+) with domain_version of (\\d+)");
  private static final Pattern OPSET =
      Pattern.compile(
          "Opset (\\d+) is under development.*?domain ([\\w.]+) is till opset (\\d+)",
          Pattern.DOTALL);
  private static final Pattern DUPLICATE =
      Pattern.compile("Duplicate definition of name \\((.*)\\)");
  private static final Pattern NOT_DEFINED =
      Pattern.compile(
          "Node input '([^']*)' is not a graph input, initializer, or output of a previous node");
  private static final Pattern PREFIX = Pattern.compile("^Error code - \\w+ - message: ");
  private static final Pattern SOURCE_LOCATION =
      Pattern.compile("^/\\S+:\\d+ [^)]*\\)(?: [^)]*\\))? ");

  private OnnxLoadErrors() {}

  /**
   * @param graph the model's top graph, to name the nodes involved (may be {@code null})
   */
  static PortcheckException translate(
      Path source, String message, Throwable cause, GraphProto graph) {
    String m = message == null ? "" : message;
    Matcher k = MISSING_KERNEL.matcher(m);
    if (k.find()) {
      return PortcheckException.of(
          PortcheckException.Reason.UNSUPPORTED_OP,
          source
              + ": layer '"
              + k.group(2)
              + "' uses op "
              + k.group(1)
              + " with a type ONNX Runtime has no kernel for; it cannot be run here (inspect still"
              + " lists it)",
          cause);
    }
    Matcher op = NO_OP.matcher(m);
    boolean full = op.find();
    Matcher shortOp = NO_OP_SHORT.matcher(m);
    if (full || shortOp.find()) {
      String node = full ? op.group(1) : "?";
      String name = full ? op.group(2) : shortOp.group(1);
      String domain = full && !op.group(3).isEmpty() ? op.group(3) : "ai.onnx";
      String version = full ? op.group(5) : shortOp.group(2);
      return PortcheckException.of(
          PortcheckException.Reason.UNSUPPORTED_OP,
          source
              + ": node '"
              + node
              + "' uses op "
              + name
              + ", which does not exist in "
              + domain
              + " opset "
              + version
              + " (or is a custom op ONNX Runtime does not have); re-export without it or with"
              + " an opset that defines it",
          cause);
    }
    Matcher opset = OPSET.matcher(m);
    if (opset.find()) {
      return PortcheckException.of(
          PortcheckException.Reason.UNSUPPORTED_OP,
          source
              + ": the model declares "
              + opset.group(2)
              + " opset "
              + opset.group(1)
              + ", but ONNX Runtime supports up to opset "
              + opset.group(3)
              + "; re-export with opset_version="
              + opset.group(3)
              + " or lower",
          cause);
    }
    Matcher dup = DUPLICATE.matcher(m);
    if (dup.find()) {
      List<String> producers = nodes(graph, n -> n.getOutputList().contains(dup.group(1)));
      return PortcheckException.corrupt(
          source,
          "tensor '"
              + dup.group(1)
              + "' is produced twice ("
              + (producers.size() > 1
                  ? "by nodes " + producers
                  : "by two nodes, or by a node and as an input or initializer")
              + ");"
              + " every ONNX tensor is assigned once. The export or a graph edit is broken: check"
              + " it with onnx.checker.check_model",
          cause);
    }
    Matcher undefined = NOT_DEFINED.matcher(m);
    if (undefined.find()) {
      List<String> readers = nodes(graph, n -> n.getInputList().contains(undefined.group(1)));
      return PortcheckException.corrupt(
          source,
          (readers.isEmpty() ? "a node" : "node " + readers.get(0))
              + " reads tensor '"
              + undefined.group(1)
              + "', which is no graph input, initializer or earlier node's output (a missing"
              + " initializer?). Check it with onnx.checker.check_model",
          cause);
    }
    return PortcheckException.of(
        PortcheckException.Reason.ENGINE,
        source + ": ONNX Runtime cannot load the model: " + clean(m),
        cause);
  }

  private static List<String> nodes(GraphProto graph, Predicate<NodeProto> p) {
    List<String> out = new ArrayList<>();
    if (graph != null) {
      for (int i = 0; i < graph.getNodeCount(); i++) {
        NodeProto n = graph.getNode(i);
        if (p.test(n)) {
          out.add(
              "'" + (n.getName().isEmpty() ? "#" + i + " " + n.getOpType() : n.getName()) + "'");
        }
      }
    }
    return out;
  }

  /** ORT's message without its error-code prefix, C++ location, or anything after one line. */
  static String clean(String message) {
    String m = message.strip();
    int nl = m.indexOf('\n');
    if (nl > 0) {
      m = m.substring(0, nl);
    }
    m = PREFIX.matcher(m).replaceFirst("");
    m = SOURCE_LOCATION.matcher(m).replaceFirst("");
    if (m.length() > 400) {
      m = m.substring(0, 397) + "...";
    }
    return m.isBlank() ? "no detail" : m;
  }
}
