package dev.portcheck.importers.api;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a model is, apart from running it: the framework and file it was read from, its declared
 * inputs and outputs, its layers in graph order, its parameters, and the conventions its importer
 * declares (layout of undeclared feature maps, op roles, whether input types bind). Immutable: it
 * stays valid after the {@link ModelView} that made it is closed, and a recorded model (a baseline)
 * has one as a live model does.
 *
 * @param framework the framework the model was read with
 * @param source the file or folder it was read from
 * @param metadata format-level facts worth showing: producer, opset, exporter version, format
 * @param inputs declared inputs, in the order the model takes them
 * @param outputs declared outputs
 * @param layers layers in topological order, including untappable ones (listed with their parent)
 * @param parameters every stored parameter by name, in the model's order
 * @param layoutConvention how the framework lays out 4-D tensors that declare no layout
 * @param declaresInputTypes whether the inputs' declared element types are binding
 * @param rolesByOpType the roles its importer declares for each op type among the layers; an op
 *     type missing here has none
 */
public record ModelDescription(
    Framework framework,
    Path source,
    Map<String, String> metadata,
    List<TensorInfo> inputs,
    List<TensorInfo> outputs,
    List<Layer> layers,
    Map<String, ParameterInfo> parameters,
    LayoutConvention layoutConvention,
    boolean declaresInputTypes,
    Map<String, Set<OpRole>> rolesByOpType) {

  public ModelDescription {
    Objects.requireNonNull(framework, "framework");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(layoutConvention, "layoutConvention");
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    layers = List.copyOf(layers);
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    Map<String, Set<OpRole>> roles = new LinkedHashMap<>();
    rolesByOpType.forEach((op, r) -> roles.put(op, Set.copyOf(r)));
    rolesByOpType = Collections.unmodifiableMap(roles);
  }

  /**
   * A description whose conventions are {@code importer}'s: its framework, layout convention,
   * input-type rule and the roles it declares for the op types among {@code layers}.
   */
  public static ModelDescription of(
      ModelImporter importer,
      Path source,
      Map<String, String> metadata,
      List<TensorInfo> inputs,
      List<TensorInfo> outputs,
      List<Layer> layers,
      Map<String, ParameterInfo> parameters) {
    return new ModelDescription(
        importer.framework(),
        source,
        metadata,
        inputs,
        outputs,
        layers,
        parameters,
        importer.layoutConvention(),
        importer.declaresInputTypes(),
        rolesOf(importer, layers));
  }

  /** The roles {@code importer} declares for each op type among {@code layers} that has any. */
  public static Map<String, Set<OpRole>> rolesOf(ModelImporter importer, List<Layer> layers) {
    Map<String, Set<OpRole>> roles = new LinkedHashMap<>();
    for (Layer l : layers) {
      if (!roles.containsKey(l.opType())) {
        Set<OpRole> r = importer.roles(l.opType());
        if (!r.isEmpty()) {
          roles.put(l.opType(), r);
        }
      }
    }
    return roles;
  }

  /** A layer by name. */
  public Optional<Layer> layer(String name) {
    return layers.stream().filter(l -> l.name().equals(name)).findFirst();
  }

  /** The layer that writes {@code tensor} (one of its {@link Layer#outputs()}), if any. */
  public Optional<Layer> producer(String tensor) {
    return layers.stream().filter(l -> l.outputs().contains(tensor)).findFirst();
  }

  /**
   * The layout of {@code layer}'s output when it has {@code rank} dimensions: the layer's declared
   * layout, else the framework's convention.
   */
  public Layout activationLayout(String layer, int rank) {
    Layout declared = layer(layer).map(Layer::layout).orElse(Layout.UNSPECIFIED);
    return layoutConvention.ofActivation(declared, rank);
  }

  /**
   * The layout of {@code input} fed with {@code rank} dimensions: declared, else the convention.
   */
  public Layout inputLayout(TensorInfo input, int rank) {
    return layoutConvention.ofInput(input.layout(), rank);
  }

  /** What {@code layer} does that its {@link OpKind} does not say. */
  public Set<OpRole> roles(Layer layer) {
    return rolesByOpType.getOrDefault(layer.opType(), Set.of());
  }
}
