package dev.portcheck.importers.onnx;

import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.onnx.proto.AttributeProto;
import dev.portcheck.importers.onnx.proto.NodeProto;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Turns a node's ONNX attributes into the api's canonical attribute map. ONNX names already match
 * the canonical ones (epsilon, strides, pads, ...); what needs work is the defaults the spec
 * implies when an exporter omits them (a BatchNormalization without epsilon uses 1e-5, which is
 * exactly the value a port may get wrong), and Clip's bounds, which moved from attributes to inputs
 * in opset 11.
 */
final class OnnxAttributes {
  private OnnxAttributes() {}

  /**
   * The canonical attributes of {@code node}.
   *
   * @param constants reads a constant input (initializer or Constant output) by name, or null
   */
  static Map<String, AttributeValue> of(
      NodeProto node, OpKind kind, Function<String, Tensor> constants) {
    Map<String, AttributeValue> out = new LinkedHashMap<>();
    for (AttributeProto a : node.getAttributeList()) {
      AttributeValue v = convert(a);
      if (v != null) {
        out.put(canonicalName(a.getName()), v);
      }
    }
    switch (kind) {
      case BATCH_NORM -> {
        out.putIfAbsent("epsilon", AttributeValue.of(1e-5));
        out.putIfAbsent("momentum", AttributeValue.of(0.9));
      }
      case LAYER_NORM, INSTANCE_NORM, GROUP_NORM ->
          out.putIfAbsent("epsilon", AttributeValue.of(1e-5));
      case CONV, CONV_TRANSPOSE -> out.putIfAbsent("group", AttributeValue.of(1L));
      case LEAKY_RELU -> out.putIfAbsent("alpha", AttributeValue.of(0.01));
      case SOFTMAX -> out.putIfAbsent("axis", AttributeValue.of(-1L));
      case MAX_POOL -> {
        if (node.getOpType().equals("MaxPool")) {
          out.putIfAbsent("ceil_mode", AttributeValue.of(0L));
        }
      }
      case AVG_POOL -> {
        if (node.getOpType().equals("AveragePool")) {
          out.putIfAbsent("ceil_mode", AttributeValue.of(0L));
          out.putIfAbsent("count_include_pad", AttributeValue.of(0L));
        }
      }
      case RESIZE -> {
        // Resize (opset 11+) defaults to half_pixel; the older Upsample op has no such attribute
        // and maps asymmetrically.
        out.putIfAbsent("mode", AttributeValue.of("nearest"));
        out.putIfAbsent(
            "coordinate_transformation_mode",
            AttributeValue.of(node.getOpType().equals("Upsample") ? "asymmetric" : "half_pixel"));
      }
      case CLIP -> clipBounds(node, constants, out);
      default -> {}
    }
    return out;
  }

  private static void clipBounds(
      NodeProto node, Function<String, Tensor> constants, Map<String, AttributeValue> out) {
    // Opset 11 made min/max optional inputs; older files carry them as attributes (already read).
    for (int i = 1; i <= 2 && i < node.getInputCount(); i++) {
      String name = node.getInput(i);
      Tensor t = name.isEmpty() ? null : constants.apply(name);
      if (t != null && t.size() == 1) {
        out.put(i == 1 ? "min" : "max", AttributeValue.of(widen(t.getFloat(0))));
      }
    }
    AttributeValue min = out.get("min");
    AttributeValue max = out.get("max");
    if (min instanceof AttributeValue.Float lo
        && max instanceof AttributeValue.Float hi
        && lo.value() == 0.0
        && hi.value() == 6.0) {
      out.put("activation", AttributeValue.of("relu6"));
    }
  }

  private static String canonicalName(String onnxName) {
    // LSTM/GRU/RNN list their gate functions under "activations".
    return "activations".equals(onnxName) ? "activation" : onnxName;
  }

  private static AttributeValue convert(AttributeProto a) {
    return switch (effectiveType(a)) {
      case FLOAT -> AttributeValue.of(widen(a.getF()));
      case INT -> AttributeValue.of(a.getI());
      case STRING -> AttributeValue.of(a.getS().toString(StandardCharsets.UTF_8));
      case INTS -> AttributeValue.ints(a.getIntsList());
      case FLOATS -> {
        List<Double> d = new ArrayList<>();
        a.getFloatsList().forEach(f -> d.add(widen(f)));
        yield new AttributeValue.Floats(d);
      }
      case STRINGS -> {
        List<String> s = new ArrayList<>();
        a.getStringsList().forEach(b -> s.add(b.toString(StandardCharsets.UTF_8)));
        yield AttributeValue.of(String.join(",", s));
      }
      // Tensors and graphs are not attributes a port is checked on: tensors are parameters,
      // graphs are listed as layers of their own.
      default -> null;
    };
  }

  /**
   * ONNX stores float attributes as float32; widening 1e-5f gives 9.99999974e-6, which reads like a
   * different epsilon in a report. The shortest decimal that round-trips the float (1.0E-5) is what
   * the exporter was given.
   */
  static double widen(float f) {
    return Double.parseDouble(Float.toString(f));
  }

  /** The attribute's type, inferred from the set field for IR 0.0.1 files that omit it. */
  static AttributeProto.AttributeType effectiveType(AttributeProto a) {
    if (a.hasType() && a.getType() != AttributeProto.AttributeType.UNDEFINED) {
      return a.getType();
    }
    if (a.hasF()) {
      return AttributeProto.AttributeType.FLOAT;
    }
    if (a.hasI()) {
      return AttributeProto.AttributeType.INT;
    }
    if (a.hasS()) {
      return AttributeProto.AttributeType.STRING;
    }
    if (a.hasT()) {
      return AttributeProto.AttributeType.TENSOR;
    }
    if (a.hasG()) {
      return AttributeProto.AttributeType.GRAPH;
    }
    if (a.getIntsCount() > 0) {
      return AttributeProto.AttributeType.INTS;
    }
    if (a.getFloatsCount() > 0) {
      return AttributeProto.AttributeType.FLOATS;
    }
    if (a.getStringsCount() > 0) {
      return AttributeProto.AttributeType.STRINGS;
    }
    if (a.getGraphsCount() > 0) {
      return AttributeProto.AttributeType.GRAPHS;
    }
    return AttributeProto.AttributeType.UNDEFINED;
  }
}
