package dev.portcheck.comparator.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Numbers of one aligned layer over every probe.
 *
 * @param stats each model's activation summary, by model id
 * @param vsReference each other model compared with the reference ({@code m0}), by model id
 * @param tolerance the tolerance applied to this layer
 */
public record LayerMetrics(
    Map<String, ModelStats> stats, Map<String, PairMetrics> vsReference, Tolerance tolerance) {
  public LayerMetrics {
    stats = Collections.unmodifiableMap(new LinkedHashMap<>(stats));
    vsReference = Collections.unmodifiableMap(new LinkedHashMap<>(vsReference));
  }

  /** Whether every compared model is inside tolerance (true when nothing was compared). */
  public boolean withinTolerance() {
    return vsReference.values().stream().allMatch(PairMetrics::withinTolerance);
  }
}
