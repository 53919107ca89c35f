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
 * @param untapped requested layers whose output the engine could not expose (e.g. nodes inside an
 *     ONNX {@code If} branch), in graph order
 */
public record RunResult(
    Map<String, Tensor> outputs, Map<String, Tensor> layerOutputs, List<String> untapped) {
  public RunResult {
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    layerOutputs = Collections.unmodifiableMap(new LinkedHashMap<>(layerOutputs));
    untapped = List.copyOf(untapped);
  }
}
