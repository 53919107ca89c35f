package dev.portcheck.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.TensorInfo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code portcheck inspect MODEL}: what a model declares and its layers, epsilon included. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    header = "Lists a model's inputs, outputs and layers with their attributes.",
    description = {
      "Lists a model's inputs, outputs and layers in graph order with op types and key"
          + " attributes (epsilon shown for every normalization layer)."
    })
final class InspectCommand implements Callable<Integer> {
  /** Attributes worth a column; everything else is shown with --all-attributes. */
  private static final List<String> KEY_ATTRIBUTES =
      List.of(
          "epsilon",
          "momentum",
          "strides",
          "pads",
          "padding",
          "dilations",
          "group",
          "activation",
          "coordinate_transformation_mode",
          "mode");

  @Spec CommandSpec spec;
  @Mixin CommonOptions common;

  @Parameters(index = "0", paramLabel = "MODEL", description = "Model file or SavedModel folder.")
  Path model;

  @Option(names = "--params", description = "Also list every stored parameter with its shape.")
  boolean params;

  @Option(names = "--all-attributes", description = "Show every attribute, not only the key ones.")
  boolean allAttributes;

  @Option(names = "--json", description = "Print JSON instead of text.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (ModelView view = Importers.open(model)) {
      if (json) {
        out.println(toJson(view));
      } else {
        printText(view, out);
      }
    }
    out.flush();
    return ExitCodes.MATCH;
  }

  private void printText(ModelView view, PrintWriter out) {
    out.printf("model      %s%n", view.source());
    out.printf("framework  %s%s%n", view.framework().id(), describe(view.metadata()));
    for (TensorInfo t : view.inputs()) {
      out.printf("input      %s%n", tensor(t));
    }
    for (TensorInfo t : view.outputs()) {
      out.printf("output     %s%n", tensor(t));
    }
    List<Layer> layers = view.layers();
    out.printf("%nlayers (%d)%n", layers.size());
    int nameWidth = Math.min(48, layers.stream().mapToInt(l -> l.name().length()).max().orElse(4));
    int opWidth = Math.min(36, layers.stream().mapToInt(l -> l.opType().length()).max().orElse(2));
    String row = "%4s  %-" + nameWidth + "s  %-" + opWidth + "s  %-15s %s%n";
    out.printf(row, "#", "name", "op", "kind", "attributes");
    for (int i = 0; i < layers.size(); i++) {
      Layer l = layers.get(i);
      out.printf(
          row, i, clip(l.name(), nameWidth), clip(l.opType(), opWidth), l.kind(), attributes(l));
    }
    if (params) {
      out.printf("%nparameters (%d)%n", view.parameters().size());
      for (ParameterInfo p : view.parameters().values()) {
        out.printf("  %-56s %-8s %s %s%n", p.name(), p.dtype(), p.shape(), p.layout());
      }
    }
  }

  private String attributes(Layer l) {
    StringBuilder sb = new StringBuilder();
    if (l.kind().isNormalization() && !l.attributes().containsKey(Layer.EPSILON)) {
      // Say so rather than print nothing: an unknown epsilon is exactly what users look for.
      sb.append("epsilon=? ");
    }
    for (Map.Entry<String, AttributeValue> e : l.attributes().entrySet()) {
      if (allAttributes || KEY_ATTRIBUTES.contains(e.getKey())) {
        sb.append(e.getKey()).append('=').append(e.getValue().render()).append(' ');
      }
    }
    if (l.parent() != null) {
      sb.append("(inside ").append(l.parent()).append(") ");
    }
    if (!l.tappable()) {
      sb.append("[not tappable] ");
    }
    return sb.toString().strip();
  }

  private static String tensor(TensorInfo t) {
    String shape = t.shape() == null ? "[?]" : t.shape().toString().replace("-1", "?");
    return String.format(
        "%s %s %s%s",
        t.name(),
        t.dtype().name().toLowerCase(java.util.Locale.ROOT),
        shape,
        t.layout() == dev.portcheck.importers.api.Layout.UNSPECIFIED ? "" : " " + t.layout());
  }

  private static String describe(Map<String, String> metadata) {
    if (metadata.isEmpty()) {
      return "";
    }
    return metadata.entrySet().stream()
        .map(e -> e.getKey() + " " + e.getValue())
        .collect(Collectors.joining(", ", "  (", ")"));
  }

  private static String clip(String s, int width) {
    return s.length() <= width ? s : "…" + s.substring(s.length() - width + 1);
  }

  private String toJson(ModelView view) throws Exception {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("schemaVersion", 1);
    root.put("path", view.source().toString());
    root.put("framework", view.framework().id());
    root.set("metadata", mapper.valueToTree(view.metadata()));
    root.set("inputs", tensors(mapper, view.inputs()));
    root.set("outputs", tensors(mapper, view.outputs()));
    ArrayNode layers = root.putArray("layers");
    for (Layer l : view.layers()) {
      ObjectNode n = layers.addObject();
      n.put("name", l.name());
      n.put("opType", l.opType());
      n.put("kind", l.kind().name());
      n.put("layout", l.layout().name());
      if (l.parent() != null) {
        n.put("parent", l.parent());
      }
      n.put("tappable", l.tappable());
      ObjectNode attrs = n.putObject("attributes");
      l.attributes().forEach((k, v) -> attrs.set(k, attributeJson(mapper, v)));
      n.set("parameters", mapper.valueToTree(l.parameters()));
    }
    if (params) {
      ArrayNode ps = root.putArray("parameters");
      for (ParameterInfo p : view.parameters().values()) {
        ObjectNode n = ps.addObject();
        n.put("name", p.name());
        n.put("dtype", p.dtype().name());
        n.set("shape", mapper.valueToTree(p.shape()));
        n.put("layout", p.layout().name());
      }
    }
    return mapper.writeValueAsString(root);
  }

  private static ArrayNode tensors(ObjectMapper mapper, List<TensorInfo> ts) {
    ArrayNode a = mapper.createArrayNode();
    for (TensorInfo t : ts) {
      ObjectNode n = a.addObject();
      n.put("name", t.name());
      n.put("dtype", t.dtype().name());
      n.set("shape", mapper.valueToTree(t.shape()));
      n.put("layout", t.layout().name());
    }
    return a;
  }

  private static com.fasterxml.jackson.databind.JsonNode attributeJson(
      ObjectMapper mapper, AttributeValue v) {
    // Java 17 has no pattern switch; the sealed interface keeps this list complete.
    if (v instanceof AttributeValue.Float f) {
      return mapper.getNodeFactory().numberNode(f.value());
    } else if (v instanceof AttributeValue.Int i) {
      return mapper.getNodeFactory().numberNode(i.value());
    } else if (v instanceof AttributeValue.Bool b) {
      return mapper.getNodeFactory().booleanNode(b.value());
    } else if (v instanceof AttributeValue.Ints is) {
      return mapper.valueToTree(is.values());
    } else if (v instanceof AttributeValue.Floats fs) {
      return mapper.valueToTree(fs.values());
    }
    return mapper.getNodeFactory().textNode(v.render());
  }
}
