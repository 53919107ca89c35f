package dev.portcheck.comparator;

import dev.portcheck.importers.api.AttributeValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An attribute of aligned layers that differs between models.
 *
 * @param names the layer holding the value, by model id
 * @param attribute canonical attribute name ({@code epsilon}, {@code pads}, {@code strides})
 * @param values the value in each model, by model id (normalised: explicit pads for SAME/VALID)
 * @param inferredBy the model whose value is not a stored attribute but inferred from weights it
 *     folded (an epsilon from a conv that absorbed the other model's BatchNorm, named in {@code
 *     names}), else null
 */
public record AttributeMismatch(
    Map<String, String> names,
    String attribute,
    Map<String, AttributeValue> values,
    String inferredBy) {
  public AttributeMismatch {
    names = Collections.unmodifiableMap(new LinkedHashMap<>(names));
    values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }
}
