package dev.portcheck.comparator.align;

import dev.portcheck.importers.api.Layer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The regions of a graph's control-flow bodies: layers inside an {@code If} branch (or a loop body)
 * connected by dataflow among themselves. Both branches of an If share the If as their parent, but
 * a branch reads only the enclosing scope's values, never the other branch's, so its layers form a
 * region of their own. Top-level layers belong to no region.
 *
 * <p>Why it matters: Silero VAD's TorchScript holds a 16 kHz and an 8 kHz submodel, its ONNX export
 * holds them as the two branches of one If. The parameters of each submodel prove which branch it
 * is; a layer of that submodel paired by op order with a layer of the other branch is a wrong pair.
 */
final class BranchRegions {
  private final int[] root;

  BranchRegions(List<Layer> layers, PairAligner.Graph graph) {
    root = new int[layers.size()];
    for (int x = 0; x < root.length; x++) {
      root[x] = x;
    }
    if (!graph.known) {
      return;
    }
    Map<String, Integer> byName = new HashMap<>();
    for (int x = 0; x < layers.size(); x++) {
      byName.putIfAbsent(layers.get(x).name(), x);
    }
    for (int x = 0; x < layers.size(); x++) {
      Layer l = layers.get(x);
      if (l.parent() == null) {
        continue;
      }
      // A nested control-flow body belongs to the branch that holds its If.
      Integer holder = byName.get(l.parent());
      if (holder != null && layers.get(holder).parent() != null) {
        union(x, holder);
      }
      for (String in : graph.dataInputs(x)) {
        int p = graph.producerOf(in);
        if (p >= 0 && layers.get(p).parent() != null) {
          union(x, p);
        }
      }
    }
    for (int x = 0; x < layers.size(); x++) {
      if (layers.get(x).parent() == null) {
        root[x] = -1;
      }
    }
  }

  /** The region of layer x: equal for layers of one branch body, -1 at the top level. */
  int of(int x) {
    return root[x] < 0 ? -1 : find(x);
  }

  private int find(int x) {
    while (root[x] != x) {
      root[x] = root[root[x]];
      x = root[x];
    }
    return x;
  }

  private void union(int x, int y) {
    int rx = find(x);
    int ry = find(y);
    if (rx != ry) {
      root[Math.max(rx, ry)] = Math.min(rx, ry);
    }
  }
}
