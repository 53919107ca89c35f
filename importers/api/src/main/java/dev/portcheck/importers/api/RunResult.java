package dev.portcheck.importers.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one pass of {@link ModelView#run} produced, and the scope its in-place tensors live in (as
 * ORT's {@code OrtSession.Result}): a result of {@link ModelView#runInPlace} may hold {@linkplain
 * Tensor#isView views} of engine buffers, valid until this result is closed or the model runs
 * again; after that reading one throws {@link IllegalStateException}. Use it in try-with-resources
 * and {@linkplain Tensor#detached detach} what must outlive it. Closing twice is harmless; tensors
 * copied out (those of {@link ModelView#run}) stay readable after close.
 */
public final class RunResult implements AutoCloseable {
  private final Map<String, Tensor> outputs;
  private final Map<String, Tensor> layerOutputs;
  private final List<String> untapped;
  private final Map<String, String> untappedReasons;
  private final RunScope scope;

  /**
   * @param outputs the model outputs by output name, in declaration order
   * @param layerOutputs the first output of each tapped layer, by layer name, in graph order
   * @param untapped requested layers whose output the engine could not expose (a layer that cannot
   *     be tapped, a node of the ONNX {@code If} branch not taken on this input), in graph order
   * @param untappedReasons why, for those of {@code untapped} the importer can explain, by layer
   *     name, in one sentence ({@code "not executed on this input: If 'If_0' took its else
   *     branch"}); a layer that did not run is reported here, never as zeros
   * @param scope the scope the views among these tensors belong to, or {@code null} when every
   *     tensor is copied out
   */
  public RunResult(
      Map<String, Tensor> outputs,
      Map<String, Tensor> layerOutputs,
      List<String> untapped,
      Map<String, String> untappedReasons,
      RunScope scope) {
    this.outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    this.layerOutputs = Collections.unmodifiableMap(new LinkedHashMap<>(layerOutputs));
    this.untapped = List.copyOf(untapped);
    this.untappedReasons = Collections.unmodifiableMap(new LinkedHashMap<>(untappedReasons));
    this.scope = scope;
  }

  /** A result whose tensors are all copied out (no views). */
  public RunResult(
      Map<String, Tensor> outputs,
      Map<String, Tensor> layerOutputs,
      List<String> untapped,
      Map<String, String> untappedReasons) {
    this(outputs, layerOutputs, untapped, untappedReasons, null);
  }

  /** A result of copied tensors without reasons for its untapped layers. */
  public RunResult(
      Map<String, Tensor> outputs, Map<String, Tensor> layerOutputs, List<String> untapped) {
    this(outputs, layerOutputs, untapped, Map.of());
  }

  /** The model outputs by output name, in declaration order. */
  public Map<String, Tensor> outputs() {
    return outputs;
  }

  /** The first output of each tapped layer, by layer name, in graph order. */
  public Map<String, Tensor> layerOutputs() {
    return layerOutputs;
  }

  /** Requested layers whose output the engine could not expose, in graph order. */
  public List<String> untapped() {
    return untapped;
  }

  /** Why, for those of {@link #untapped()} the importer can explain, by layer name. */
  public Map<String, String> untappedReasons() {
    return untappedReasons;
  }

  /**
   * The model outputs copied out of any engine buffer, to keep after this result closes (a
   * classifier's scores kept for the label check while the next probe runs).
   */
  public Map<String, Tensor> detachedOutputs() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    outputs.forEach((k, v) -> out.put(k, v.detached()));
    return Collections.unmodifiableMap(out);
  }

  /** Whether its views may still be read (always true for a result of copies). */
  public boolean isOpen() {
    return scope == null || scope.isOpen();
  }

  /** Ends the scope of its views; copies stay readable. A second call does nothing. */
  @Override
  public void close() {
    if (scope != null) {
      scope.close();
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RunResult r
        && outputs.equals(r.outputs)
        && layerOutputs.equals(r.layerOutputs)
        && untapped.equals(r.untapped)
        && untappedReasons.equals(r.untappedReasons);
  }

  @Override
  public int hashCode() {
    return Objects.hash(outputs, layerOutputs, untapped, untappedReasons);
  }

  @Override
  public String toString() {
    return "RunResult[outputs="
        + outputs.keySet()
        + ", layerOutputs="
        + layerOutputs.keySet()
        + "]";
  }
}
