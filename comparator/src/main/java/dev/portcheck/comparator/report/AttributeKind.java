package dev.portcheck.comparator.report;

import dev.portcheck.importers.api.OpKind;

/**
 * The catalogue of attribute findings: which porting bug an attribute that differs names. Each kind
 * has a known fix the renderers word; the JSON's {@code firstDivergence.kind} is the kind's name
 * ({@code ATTRIBUTE} for an attribute outside the catalogue, such as epsilon or strides).
 */
public enum AttributeKind {
  /** Any other attribute (epsilon, strides, dilations, groups ...): named by its attribute. */
  ATTRIBUTE,
  /**
   * Explicit pads differ, typically TensorFlow's SAME padding with stride > 1 (the odd pixel at the
   * bottom/right) where the reference pads symmetrically.
   */
  PADDING,
  /** A max/average pool rounds its output size up in one model and down in the other. */
  CEIL_MODE,
  /**
   * An average pool divides border windows by the kernel size in one model, by real pixels in the
   * other.
   */
  COUNT_INCLUDE_PAD,
  /**
   * A resize maps output to input coordinates differently (align_corners vs half-pixel centres).
   */
  RESIZE_COORDINATES,
  /** GELU exact (erf) in one model, its tanh approximation in the other. */
  GELU_APPROXIMATE,
  /** A softmax normalises over another axis once both layouts are taken into account. */
  SOFTMAX_AXIS;

  /** The kind of a difference in {@code attribute} at a layer of kind {@code op}. */
  public static AttributeKind of(String attribute, OpKind op) {
    return switch (attribute) {
      case "pads" -> PADDING;
      case "ceil_mode" -> CEIL_MODE;
      case "count_include_pad" -> COUNT_INCLUDE_PAD;
      case "coordinate_transformation", "coordinate_transformation_mode" -> RESIZE_COORDINATES;
      case "approximate" -> GELU_APPROXIMATE;
      case "axis" -> op == OpKind.SOFTMAX ? SOFTMAX_AXIS : ATTRIBUTE;
      default -> ATTRIBUTE;
    };
  }
}
