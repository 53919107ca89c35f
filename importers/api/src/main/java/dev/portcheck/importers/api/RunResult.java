package dev.portcheck.importers.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one pass of {@link ModelView#run} produced, copied out of the engine.
 *
 * @param outputs the model outputs by output name, in declaration order
 * @param layerOutputs the first output of each tapped layer, by layer name, in graph order
 * @param untapped requested layers whose output the engine could not expose (a layer that cannot be
 *     tapped, a node of the ONNX {@code If} branch not taken on this input), in graph order
 * @param untappedReasons why, for those of {@code untapped} the importer can explain, by layer
 *     name, in one sentence ({@code "not executed on this input: If 'If_0' took its else branch"});
 *     a layer that did not run is reported here, never as zeros
 */
public record RunResult(
    Map<String, Tensor> outputs,
    Map<String, Tensor> layerOutputs,
    List<String> untapped,
    Map<String, String> untappedReasons) {
  public RunResult {
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    layerOutputs = Collections.unmodifiableMap(new LinkedHashMap<>(layerOutputs));
    untapped = List.copyOf(untapped);
    untappedReasons = Collections.unmodifiableMap(new LinkedHashMap<>(untappedReasons));
  }

  /** A result without reasons for its untapped layers. */
  public RunResult(
      Map<String, Tensor> outputs, Map<String, Tensor> layerOutputs, List<String> untapped) {
    this(outputs, layerOutputs, untapped, Map.of());
  }
}
