package dev.portcheck.comparator.report;

import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.OpKind;
import java.util.Objects;

/**
 * An attribute of a layer differs, e.g. a BatchNorm's epsilon.
 *
 * @param layer the layer as the reference names it
 * @param kind the layer's kind (a LayerNorm's epsilon default differs from a BatchNorm's)
 * @param referenceId the model holding the expected value (the reference, {@code m0}, unless it
 *     lacks the attribute)
 * @param modelId the model holding the other value
 * @param attribute canonical attribute name ({@code epsilon}, {@code pads}, {@code strides})
 * @param expected the value in {@code referenceId}
 * @param actual the value in {@code modelId}
 * @param inferred whether a value was inferred from weights that folded the layer (no attribute)
 */
public record AttributeFinding(
    String layer,
    OpKind kind,
    String referenceId,
    String modelId,
    String attribute,
    AttributeValue expected,
    AttributeValue actual,
    boolean inferred)
    implements Finding {
  public AttributeFinding {
    Objects.requireNonNull(attribute, "attribute");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(actual, "actual");
  }

  /**
   * Which catalogued porting bug this difference names ({@link AttributeKind#ATTRIBUTE} if none).
   */
  public AttributeKind attributeKind() {
    return AttributeKind.of(attribute, kind);
  }
}
