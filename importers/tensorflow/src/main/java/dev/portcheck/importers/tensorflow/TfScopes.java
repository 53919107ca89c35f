package dev.portcheck.importers.tensorflow;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Maps op names of a model built from subclassed Keras layers onto layers, with the {@link
 * TfKerasTree}: an op belongs to the innermost Keras layer whose scope encloses it. Ops of a
 * built-in layer ({@code query/Tensordot/MatMul}, {@code LayerNorm/moments/mean}) form that layer;
 * ops a subclassed layer runs itself ({@code embeddings/Gather}, {@code self/Softmax}) each form a
 * layer named by their first scope component under it, as ONNX lists such ops node by node. Layer
 * names are the scope paths below the model ({@code bert/encoder/layer_._0/attention/self/query}).
 */
final class TfScopes {
  private final TfKerasTree.Node root;
  private final int common;
  private final Set<String> ownOps = new HashSet<>();
  private final Map<String, String> parents = new HashMap<>();
  private final Map<String, String> classes = new HashMap<>();

  TfScopes(TfKerasTree.Node root, int common) {
    this.root = root;
    this.common = common;
  }

  /** The layer key of a flat node name, or null when it lies outside the model's scopes. */
  String groupOf(String name) {
    String[] parts = name.split("/");
    int start = -1;
    for (int i = 0; i < parts.length - 1; i++) {
      if (parts[i].equals(root.name())) {
        start = i + 1;
        break;
      }
    }
    if (start < 0) {
      start = common;
    }
    if (start >= parts.length) {
      return null;
    }
    TfKerasTree.Node node = root;
    StringBuilder path = new StringBuilder();
    String parent = null;
    int i = start;
    // Only scope components can name a layer: the last part is the op's own name.
    while (i < parts.length - 1 && node.container()) {
      TfKerasTree.Node child = node.child(parts[i]);
      if (child == null) {
        break;
      }
      parent = path.isEmpty() ? null : path.toString();
      if (!path.isEmpty()) {
        path.append('/');
      }
      path.append(parts[i]);
      classes.putIfAbsent(path.toString(), child.simpleClass());
      if (parent != null) {
        parents.putIfAbsent(path.toString(), parent);
      }
      node = child;
      i++;
    }
    if (node != root && !node.container()) {
      return path.toString(); // a built-in layer: all its ops are one layer
    }
    String container = path.isEmpty() ? null : path.toString();
    String key = container == null ? parts[i] : container + "/" + parts[i];
    ownOps.add(key);
    if (container != null) {
      parents.putIfAbsent(key, container);
    }
    return key;
  }

  /** Whether a key groups ops that a subclassed layer (or the model) runs itself. */
  boolean isOwnOps(String key) {
    return ownOps.contains(key);
  }

  /** The enclosing subclassed layer of a key, or null at the model's top level. */
  String parentOf(String key) {
    return parents.get(key);
  }

  /** The Keras class of a layer key ({@code TFBertSelfAttention}), or {@code "Layer"}. */
  String classOf(String key) {
    return classes.getOrDefault(key, "Layer");
  }
}
