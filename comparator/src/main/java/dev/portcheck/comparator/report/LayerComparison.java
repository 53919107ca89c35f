package dev.portcheck.comparator.report;

import dev.portcheck.importers.api.OpKind;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One row of the comparison: a layer and its counterparts.
 *
 * @param names the layer's name in each model that has it, by model id
 * @param opType the op type in the first model that has it ({@code BatchNormalization})
 * @param kind the framework-neutral kind
 * @param status its status
 * @param alignedBy the weakest evidence that paired it (null for a lone layer)
 * @param metrics its numbers (null when no model produced an output for it)
 * @param note extra facts: what it was folded into, which output stands for a folded conv
 */
public record LayerComparison(
    Map<String, String> names,
    String opType,
    OpKind kind,
    LayerStatus status,
    AlignedBy alignedBy,
    LayerMetrics metrics,
    String note) {
  public LayerComparison {
    names = Collections.unmodifiableMap(new LinkedHashMap<>(names));
  }
}
