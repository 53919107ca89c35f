package dev.portcheck.importers.tensorflow;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * The registered op definitions, used to turn FunctionDef output references ({@code
 * node:out_arg:idx}, named by OpDef output argument) into GraphDef references ({@code node:flat}).
 */
final class TfOpDefs {
  private static volatile Map<String, OpDef> registry;

  private TfOpDefs() {}

  private static Map<String, OpDef> registry() {
    Map<String, OpDef> r = registry;
    if (r == null) {
      synchronized (TfOpDefs.class) {
        r = registry;
        if (r == null) {
          r = new HashMap<>();
          for (OpDef d : TensorFlow.registeredOpList().getOpList()) {
            r.put(d.getName(), d);
          }
          registry = r;
        }
      }
    }
    return r;
  }

  /** The op definition, or null when the op is not registered (a library function, a custom op). */
  static OpDef find(String op) {
    return registry().get(op);
  }

  /**
   * The flat output index of {@code node}'s output argument {@code arg}, element {@code idx}: the
   * sizes of the output arguments before it (list arguments size from their {@code N}/type-list
   * attributes) plus {@code idx}.
   *
   * @return the index, or -1 if the op or argument is unknown
   */
  static int flatIndex(NodeDef node, String arg, int idx) {
    OpDef def = find(node.getOp());
    if (def == null) {
      return -1;
    }
    int offset = 0;
    for (OpDef.ArgDef a : def.getOutputArgList()) {
      if (a.getName().equals(arg)) {
        return offset + idx;
      }
      offset += argSize(node, a);
    }
    return -1;
  }

  private static int argSize(NodeDef node, OpDef.ArgDef a) {
    if (!a.getNumberAttr().isEmpty()) {
      AttrValue v = node.getAttrMap().get(a.getNumberAttr());
      return v == null ? 1 : (int) v.getI();
    }
    if (!a.getTypeListAttr().isEmpty()) {
      AttrValue v = node.getAttrMap().get(a.getTypeListAttr());
      return v == null ? 1 : v.getList().getTypeCount();
    }
    return 1;
  }

  /** Output argument names of a registered op, in order (for messages). */
  static List<String> outputArgs(String op) {
    OpDef def = find(op);
    return def == null
        ? List.of()
        : def.getOutputArgList().stream().map(OpDef.ArgDef::getName).toList();
  }
}
