package dev.portcheck.comparator;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The first layer, in graph order, that is outside tolerance while everything upstream is inside.
 *
 * @param names the layer in each model, by model id
 * @param opType its op type
 * @param modelId the model that parts ways with the reference
 * @param cause why
 * @param explanation one sentence a user can act on
 * @param failureText the same finding in JUnit's assertion shape ({@code layer 'bn1' [onnx vs
 *     pytorch] ==> epsilon expected: <1.0E-5> but was: <0.001>})
 * @param metrics the layer's numbers (null for a layer no engine exposed)
 */
public record Divergence(
    Map<String, String> names,
    String opType,
    String modelId,
    Cause cause,
    String explanation,
    String failureText,
    LayerMetrics metrics) {
  public Divergence {
    names = Collections.unmodifiableMap(new LinkedHashMap<>(names));
  }
}
