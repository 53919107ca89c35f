package dev.portcheck.importers.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One model, opened by an importer: its {@link ModelDescription} (what it declares, its layers in
 * graph order, its parameters, its importer's conventions), which outlives it, and the session that
 * reads parameter values and runs it. Implementations own native resources (sessions, graphs,
 * NDManagers) and release them in {@link #close()}; a second close is harmless.
 *
 * <p>The description's accessors are repeated here so that callers read {@code view.layers()};
 * implementations provide {@link #description()} only.
 */
public interface ModelView extends AutoCloseable {

  /**
   * What the model is, apart from running it: immutable, and still valid after {@link #close()}.
   */
  ModelDescription description();

  /** The framework the model was read with. */
  default Framework framework() {
    return description().framework();
  }

  /** The file or folder it was read from. */
  default Path source() {
    return description().source();
  }

  /** Format-level facts worth showing: producer, opset, exporter version, format. */
  default Map<String, String> metadata() {
    return description().metadata();
  }

  /** Declared inputs, in the order the model takes them. */
  default List<TensorInfo> inputs() {
    return description().inputs();
  }

  /** Declared outputs. */
  default List<TensorInfo> outputs() {
    return description().outputs();
  }

  /** Layers in topological order, including untappable ones (listed with their parent). */
  default List<Layer> layers() {
    return description().layers();
  }

  /** A layer by name. */
  default Optional<Layer> layer(String name) {
    return description().layer(name);
  }

  /**
   * How this model's framework lays out 4-D tensors that declare no layout (the importer's {@link
   * ModelImporter#layoutConvention()}).
   */
  default LayoutConvention layoutConvention() {
    return description().layoutConvention();
  }

  /**
   * The layout of {@code layer}'s output when it has {@code rank} dimensions: the layer's declared
   * layout, else this framework's convention. The one place a comparison learns an activation's
   * layout.
   */
  default Layout activationLayout(String layer, int rank) {
    return description().activationLayout(layer, rank);
  }

  /**
   * The layout of {@code input} fed with {@code rank} dimensions: declared, else the convention.
   */
  default Layout inputLayout(TensorInfo input, int rank) {
    return description().inputLayout(input, rank);
  }

  /**
   * What {@code layer} does that its {@link OpKind} does not say (its importer's {@link
   * ModelImporter#roles}).
   */
  default Set<OpRole> roles(Layer layer) {
    return description().roles(layer);
  }

  /**
   * Whether its inputs' declared element types are binding ({@link
   * ModelImporter#declaresInputTypes()}).
   */
  default boolean declaresInputTypes() {
    return description().declaresInputTypes();
  }

  /** Every stored parameter by name, in the model's order. */
  default Map<String, ParameterInfo> parameters() {
    return description().parameters();
  }

  /**
   * A parameter's values, copied out.
   *
   * @throws PortcheckException with {@link PortcheckException.Reason#NOT_FOUND} for an unknown name
   */
  Tensor parameter(String name);

  /** Whether {@link #run} is available (a bare checkpoint only holds parameters). */
  boolean runnable();

  /**
   * Runs the model once on {@code inputs} (by input name, in the model's own layout) and returns
   * the model outputs plus the outputs of the tapped layers, all from the same single pass.
   *
   * @throws PortcheckException for unknown or missing inputs, shape mismatches, engine failures, or
   *     when the model is not {@link #runnable()}
   */
  RunResult run(Map<String, Tensor> inputs, TapSelection taps);

  /**
   * As {@link #run}, but floating outputs may be {@linkplain Tensor#isView views} of buffers the
   * engine writes into and this view reuses. They are valid within the returned result's {@link
   * RunScope}: until the result is closed, this model runs again or it closes; reading one after
   * that throws {@link IllegalStateException}. Use the result in try-with-resources and {@linkplain
   * Tensor#detached detach} what must be kept. It spares copying every tapped activation of every
   * probe out of the engine (ResNet-50: 100 MB per run), which is what a layer walk otherwise pays
   * over a plain inference. The default copies, as {@link #run} does.
   */
  default RunResult runInPlace(Map<String, Tensor> inputs, TapSelection taps) {
    return run(inputs, taps);
  }

  /** Releases native resources; never throws, and a second call does nothing. */
  @Override
  void close();
}
