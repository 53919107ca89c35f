package dev.portcheck.importers.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One model, opened by an importer: what it declares, its layers in graph order, its parameters,
 * and a way to run it. Implementations own native resources (sessions, graphs, NDManagers) and
 * release them in {@link #close()}; a second close is harmless.
 */
public interface ModelView extends AutoCloseable {

  /** The framework the model was read with. */
  Framework framework();

  /** The file or folder it was read from. */
  Path source();

  /** Format-level facts worth showing: producer, opset, exporter version, format. */
  Map<String, String> metadata();

  /** Declared inputs, in the order the model takes them. */
  List<TensorInfo> inputs();

  /** Declared outputs. */
  List<TensorInfo> outputs();

  /** Layers in topological order, including untappable ones (listed with their parent). */
  List<Layer> layers();

  /** A layer by name. */
  default Optional<Layer> layer(String name) {
    return layers().stream().filter(l -> l.name().equals(name)).findFirst();
  }

  /** Every stored parameter by name, in the model's order. */
  Map<String, ParameterInfo> parameters();

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
