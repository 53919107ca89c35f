package dev.portcheck.importers.pytorch.script;

import dev.portcheck.importers.pytorch.pickle.PtPickled;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The module tree of a TorchScript {@code data.pkl}: each module is an inert {@link PtPickled.Obj}
 * whose state holds its attributes; submodules are attributes that are themselves module objects.
 * Walked depth-first in attribute (definition) order, the order {@code named_modules()} gives.
 */
public final class PtModuleTree {
  private static final int MAX_DEPTH = 200;

  /** One module: its path ({@code layer1.0.bn1}, root {@code ""}), class and tensors. */
  public record Node(
      String path,
      String className,
      PtPickled.Obj object,
      PtClassCode code,
      String parent,
      boolean hasChildren,
      Map<String, PtPickled.TensorRef> tensors) {
    public Node {
      tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** The module's non-tensor state ({@code eps}, {@code stride}...): name to value. */
    public Map<Object, Object> state() {
      return object.attributes();
    }
  }

  private final List<Node> nodes;

  private PtModuleTree(List<Node> nodes) {
    this.nodes = List.copyOf(nodes);
  }

  /** Builds the tree from the unpickled root object. */
  public static PtModuleTree build(PtPickled.Obj root, PtCodeIndex index) {
    List<Node> out = new ArrayList<>();
    walk("", null, root, index, out, 0);
    return new PtModuleTree(out);
  }

  private static void walk(
      String path, String parent, PtPickled.Obj obj, PtCodeIndex index, List<Node> out, int depth) {
    if (depth > MAX_DEPTH) {
      return;
    }
    PtClassCode code = index.get(obj.className());
    Map<String, PtPickled.TensorRef> tensors = new LinkedHashMap<>();
    List<Map.Entry<String, PtPickled.Obj>> children = new ArrayList<>();
    for (Map.Entry<Object, Object> e : obj.attributes().entrySet()) {
      String name = String.valueOf(e.getKey());
      Object v = e.getValue();
      if (v instanceof PtPickled.TensorRef t) {
        boolean declared =
            code == null
                || code.parameterNames().contains(name)
                || code.bufferNames().contains(name);
        if (declared) {
          tensors.put(name, t);
        }
      } else if (v instanceof PtPickled.Obj child && isModule(child, index)) {
        children.add(Map.entry(name, child));
      }
    }
    int at = out.size();
    out.add(null);
    for (Map.Entry<String, PtPickled.Obj> c : children) {
      walk(
          path.isEmpty() ? c.getKey() : path + "." + c.getKey(),
          path,
          c.getValue(),
          index,
          out,
          depth + 1);
    }
    out.set(at, new Node(path, obj.className(), obj, code, parent, !children.isEmpty(), tensors));
  }

  private static boolean isModule(PtPickled.Obj o, PtCodeIndex index) {
    PtClassCode c = index.get(o.className());
    return c == null ? o.className().startsWith("__torch__.") : c.isModule();
  }

  /** Every module including the root (first), depth-first. */
  public List<Node> nodes() {
    return nodes;
  }
}
