package dev.portcheck.importers.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One layer of a model, in graph (topological) order.
 *
 * @param name the model's own name: the ONNX node name, the Keras layer name, the TorchScript
 *     module path ({@code layer1.0.bn1})
 * @param opType the framework's own op type ({@code Conv}, {@code FusedBatchNormV3}, {@code
 *     torch.nn.BatchNorm2d})
 * @param kind the framework-neutral kind
 * @param inputs tensor names it reads (engine-specific)
 * @param outputs tensor names it writes; the first is the one {@link ModelView#run} returns for it
 * @param attributes typed attributes under canonical names ({@code epsilon}, {@code momentum},
 *     {@code strides}, {@code pads}, {@code padding}, {@code dilations}, {@code group}, {@code
 *     activation}, {@code coordinate_transformation_mode}), in a stable order. Formats that store a
 *     float attribute as float32 (ONNX, TensorFlow) report the shortest decimal that round-trips
 *     that float32, so an epsilon of 1e-5 reads {@code 1.0E-5}, not {@code 9.99999974737875E-6}
 * @param parameters the parameters it uses, by role ({@code weight}, {@code bias}, {@code scale},
 *     {@code offset}, {@code mean}, {@code variance}) to the name in {@link ModelView#parameters()}
 * @param layout layout of its output activation
 * @param parent the enclosing layer for layers inside a subgraph or function, else {@code null}
 * @param tappable whether {@link ModelView#run} can return its output
 * @param note what a report should say about the layer beyond its numbers, in one sentence: above
 *     all why it cannot be tapped ({@code tappable} false), or how its tap is taken (a node inside
 *     a loop body: the last iteration); {@code null} when there is nothing to say
 */
public record Layer(
    String name,
    String opType,
    OpKind kind,
    List<String> inputs,
    List<String> outputs,
    Map<String, AttributeValue> attributes,
    Map<String, String> parameters,
    Layout layout,
    String parent,
    boolean tappable,
    String note) {

  /** Canonical attribute name of a normalization layer's epsilon. */
  public static final String EPSILON = "epsilon";

  public Layer {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(opType, "opType");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(layout, "layout");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
  }

  /** A layer with nothing to note. */
  public Layer(
      String name,
      String opType,
      OpKind kind,
      List<String> inputs,
      List<String> outputs,
      Map<String, AttributeValue> attributes,
      Map<String, String> parameters,
      Layout layout,
      String parent,
      boolean tappable) {
    this(
        name,
        opType,
        kind,
        inputs,
        outputs,
        attributes,
        parameters,
        layout,
        parent,
        tappable,
        null);
  }

  /** This layer with {@code note} (see the record's description), replacing any other. */
  public Layer withNote(String note) {
    return new Layer(
        name,
        opType,
        kind,
        inputs,
        outputs,
        attributes,
        parameters,
        layout,
        parent,
        tappable,
        note);
  }

  /** The note, if there is one. */
  public Optional<String> noteText() {
    return Optional.ofNullable(note);
  }

  /** An attribute by canonical name. */
  public Optional<AttributeValue> attribute(String key) {
    return Optional.ofNullable(attributes.get(key));
  }

  /** The epsilon of a normalization layer, if it has one. */
  public Optional<Double> epsilon() {
    return attribute(EPSILON)
        .filter(AttributeValue.Float.class::isInstance)
        .map(a -> ((AttributeValue.Float) a).value());
  }
}
