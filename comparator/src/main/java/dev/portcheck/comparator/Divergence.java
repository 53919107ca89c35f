package dev.portcheck.comparator;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The first layer, in graph order, that is outside tolerance while everything upstream is inside.
 *
 * @param names the layer in each model, by model id
 * @param opType its op type ({@code output} for a model output)
 * @param finding why it parts ways with the reference
 * @param metrics the layer's numbers (null for a model output)
 */
public record Divergence(
    Map<String, String> names, String opType, Finding finding, LayerMetrics metrics) {
  public Divergence {
    names = Collections.unmodifiableMap(new LinkedHashMap<>(names));
    Objects.requireNonNull(finding, "finding");
  }

  /** The model that parts ways with the reference. */
  public String modelId() {
    return finding.modelId();
  }

  /** Why: the finding's cause. */
  public Cause cause() {
    return finding.cause();
  }
}
