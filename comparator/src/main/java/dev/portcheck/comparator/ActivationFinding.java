package dev.portcheck.comparator;

import java.util.Objects;

/**
 * A layer's outputs differ beyond tolerance although its attributes and weights agree.
 *
 * @param layer the layer as the reference names it
 * @param modelId the model outside tolerance
 * @param metrics how it compares with the reference
 * @param tolerance the tolerance it is outside of
 */
public record ActivationFinding(
    String layer, String modelId, PairMetrics metrics, Tolerance tolerance) implements Finding {
  public ActivationFinding {
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(tolerance, "tolerance");
  }
}
