package dev.portcheck.comparator;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A parameter of aligned layers whose values differ beyond the weight tolerance, after layout
 * conversion.
 *
 * @param names the layer, by model id
 * @param role normalised parameter role ({@code weight}, {@code bias}, {@code scale}, ...)
 * @param parameters the stored parameter name, by model id
 * @param modelId the model that differs from the reference
 * @param maxAbsDiff largest difference (NaN when shapes differ)
 * @param detail what the difference looks like, e.g. "kernel equals the reference transposed
 *     (H&lt;-&gt;W): a HWIO/OIHW slip"
 */
public record WeightMismatch(
    Map<String, String> names,
    String role,
    Map<String, String> parameters,
    String modelId,
    double maxAbsDiff,
    String detail) {
  public WeightMismatch {
    names = Collections.unmodifiableMap(new LinkedHashMap<>(names));
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
  }
}
