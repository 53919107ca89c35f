package dev.portcheck.importers.tensorflow;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Keras layer tree of a tf_keras SavedModel, read from its {@code keras_metadata.pb}: which
 * layer holds which sublayers, under the names Keras gives their op scopes.
 *
 * <p>Why: a model built from subclassed layers (Hugging Face's TF models: {@code bert/encoder/
 * layer_._0/attention/self/query}) runs every layer in one function, its ops scoped by the layer
 * nesting. Without the tree a scope such as {@code self} cannot be told from an op's own name scope
 * ({@code Tensordot}, {@code moments}); with it, ops are grouped under the innermost layer that
 * owns them.
 *
 * <p>The file is a {@code SavedMetadata} message ({@code repeated SavedObject nodes = 1}; {@code
 * SavedObject}: {@code node_path = 3}, {@code identifier = 4}, {@code metadata = 5}, a JSON text
 * whose top-level {@code name} and {@code class_name} are read). It is untrusted: anything that
 * does not parse yields no tree, and the importer groups ops as for any other SavedModel.
 */
final class TfKerasTree {
  static final String FILE = "keras_metadata.pb";
  private static final int MAX_NODES = 100_000;
  private static final int MAX_DEPTH = 64;

  /**
   * Built-in Keras layers that hold sublayers but are one layer to a user (and one module in
   * PyTorch): their sublayers are not split out.
   */
  private static final Set<String> ATOMIC =
      Set.of(
          "MultiHeadAttention",
          "Attention",
          "AdditiveAttention",
          "Bidirectional",
          "TimeDistributed",
          "RNN",
          "SimpleRNN",
          "LSTM",
          "GRU",
          "ConvLSTM1D",
          "ConvLSTM2D",
          "ConvLSTM3D",
          "StackedRNNCells");

  /** One Keras layer: the scope name of its ops, its class, and its direct sublayers. */
  record Node(String name, String className, List<Node> children) {
    Node {
      children = Collections.unmodifiableList(children);
    }

    /** Whether its sublayers are layers of their own (a subclassed layer or a nested model). */
    boolean container() {
      return !children.isEmpty() && !ATOMIC.contains(simpleClass());
    }

    /** The class name without Keras' registration prefix ({@code Custom>TFBertMainLayer}). */
    String simpleClass() {
      int gt = className.lastIndexOf('>');
      return gt < 0 ? className : className.substring(gt + 1);
    }

    /** The direct sublayer whose ops are scoped {@code scope}, or null. */
    Node child(String scope) {
      for (Node c : children) {
        if (c.name().equals(scope)) {
          return c;
        }
      }
      return null;
    }
  }

  private TfKerasTree() {}

  /**
   * The root model of {@code dir/keras_metadata.pb}, or null when the file is absent, does not
   * parse, or describes no nested layer worth splitting (a Sequential or functional model of
   * built-in layers: the usual one-scope-per-layer grouping already names those).
   */
  static Node read(Path dir) {
    Path f = dir.resolve(FILE);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    try {
      Node root = parse(Files.readAllBytes(f));
      return root != null && root.children().stream().anyMatch(Node::container) ? root : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static Node parse(byte[] bytes) throws IOException {
    Map<String, String[]> byPath = new LinkedHashMap<>();
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (WireFormat.getTagFieldNumber(tag) == 1
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        String[] node = savedObject(in.readBytes().toByteArray());
        if (node != null && byPath.size() < MAX_NODES) {
          byPath.put(node[0], node);
        }
      } else if (!in.skipField(tag)) {
        break;
      }
    }
    String[] root = byPath.get("root");
    if (root == null) {
      return null;
    }
    // Children by parent path: the longest proper prefix that is a layer itself
    // ("root.bert.encoder.layer.0" is a child of "root.bert.encoder": "layer" is a list).
    Map<String, List<String>> children = new LinkedHashMap<>();
    for (String path : byPath.keySet()) {
      if (path.equals("root")) {
        continue;
      }
      String parent = path;
      do {
        int dot = parent.lastIndexOf('.');
        parent = dot < 0 ? null : parent.substring(0, dot);
      } while (parent != null && !byPath.containsKey(parent));
      if (parent != null) {
        children.computeIfAbsent(parent, k -> new ArrayList<>()).add(path);
      }
    }
    return build("root", byPath, children, 0);
  }

  private static Node build(
      String path, Map<String, String[]> byPath, Map<String, List<String>> children, int depth) {
    String[] n = byPath.get(path);
    List<Node> kids = new ArrayList<>();
    if (depth < MAX_DEPTH) {
      for (String c : children.getOrDefault(path, List.of())) {
        kids.add(build(c, byPath, children, depth + 1));
      }
    }
    return new Node(n[1], n[2], kids);
  }

  /** {@code [node_path, name, class_name]} of a Keras layer entry, or null for other objects. */
  private static String[] savedObject(byte[] bytes) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    String path = null;
    String identifier = "";
    String metadata = "";
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      int field = WireFormat.getTagFieldNumber(tag);
      boolean text = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
      if (field == 3 && text) {
        path = in.readStringRequireUtf8();
      } else if (field == 4 && text) {
        identifier = in.readStringRequireUtf8();
      } else if (field == 5 && text) {
        metadata = in.readStringRequireUtf8();
      } else if (!in.skipField(tag)) {
        break;
      }
    }
    if (path == null
        || !(identifier.equals("_tf_keras_layer")
            || identifier.equals("_tf_keras_model")
            || identifier.equals("_tf_keras_network")
            || identifier.equals("_tf_keras_sequential"))) {
      return null;
    }
    Map<String, String> top = topLevelStrings(metadata);
    String name = top.get("name");
    if (name == null) {
      return null;
    }
    return new String[] {path, name, top.getOrDefault("class_name", "")};
  }

  /**
   * The string values of a JSON object's top-level members (nested objects are skipped: a layer's
   * {@code config} repeats {@code name}). Not a validating parser: it only has to find two keys in
   * text that tf_keras wrote, and returns what it found so far on anything unexpected.
   */
  static Map<String, String> topLevelStrings(String json) {
    Map<String, String> out = new LinkedHashMap<>();
    int depth = 0;
    String pendingKey = null;
    boolean expectKey = false;
    int i = 0;
    int n = json.length();
    while (i < n) {
      char c = json.charAt(i);
      if (c == '"') {
        StringBuilder sb = new StringBuilder();
        i++;
        while (i < n && json.charAt(i) != '"') {
          char d = json.charAt(i);
          if (d == '\\' && i + 1 < n) {
            char e = json.charAt(++i);
            switch (e) {
              case 'n' -> sb.append('\n');
              case 't' -> sb.append('\t');
              case 'u' -> {
                if (i + 4 < n) {
                  try {
                    sb.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16));
                  } catch (NumberFormatException x) {
                    return out;
                  }
                  i += 4;
                }
              }
              default -> sb.append(e);
            }
          } else {
            sb.append(d);
          }
          i++;
        }
        i++; // closing quote
        if (depth == 1) {
          if (expectKey) {
            pendingKey = sb.toString();
            expectKey = false;
          } else if (pendingKey != null) {
            out.putIfAbsent(pendingKey, sb.toString());
            pendingKey = null;
          }
        }
        continue;
      }
      switch (c) {
        case '{', '[' -> {
          depth++;
          expectKey = depth == 1;
        }
        case '}', ']' -> depth--;
        case ',' -> {
          if (depth == 1) {
            expectKey = true;
            pendingKey = null;
          }
        }
        default -> {}
      }
      i++;
    }
    return out;
  }
}
