package dev.portcheck.importers.api;

import java.util.List;
import java.util.Objects;

/**
 * A named parameter (weight, bias, BatchNorm statistic) that a model stores.
 *
 * @param name the model's own name for it ({@code layer1.0.bn1.running_var}, an ONNX initializer
 *     name, a TensorFlow variable name)
 * @param dtype stored element type
 * @param shape stored dimensions
 * @param layout how its axes are ordered
 */
public record ParameterInfo(String name, DType dtype, List<Long> shape, WeightLayout layout) {
  public ParameterInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(layout, "layout");
    shape = List.copyOf(shape);
  }

  /** Number of elements. */
  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }
}
