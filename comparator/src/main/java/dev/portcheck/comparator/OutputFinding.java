package dev.portcheck.comparator;

import java.util.List;
import java.util.Objects;

/**
 * A model output differs beyond tolerance while every aligned layer agrees.
 *
 * @param layer the reference's output name
 * @param modelId the model whose output differs
 * @param name that model's output name
 * @param metrics how it compares with the reference's output
 * @param tolerance the tolerance it is outside of
 * @param layersBySummary whether the layers were compared by summary only (a baseline), which
 *     proves less than an element-wise agreement
 * @param onlyInReference layers feeding the reference's output that have no counterpart
 * @param onlyInModel layers feeding this model's output that have no counterpart
 */
public record OutputFinding(
    String layer,
    String modelId,
    String name,
    PairMetrics metrics,
    Tolerance tolerance,
    boolean layersBySummary,
    List<LayerRef> onlyInReference,
    List<LayerRef> onlyInModel)
    implements Finding {
  public OutputFinding {
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(tolerance, "tolerance");
    onlyInReference = List.copyOf(onlyInReference);
    onlyInModel = List.copyOf(onlyInModel);
  }

  /**
   * A layer by name and op type.
   *
   * @param name the layer's name in its model
   * @param opType its op type
   */
  public record LayerRef(String name, String opType) {}
}
