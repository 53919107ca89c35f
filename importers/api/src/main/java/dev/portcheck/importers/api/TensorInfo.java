package dev.portcheck.importers.api;

import java.util.List;
import java.util.Objects;

/**
 * A declared model input or output.
 *
 * @param name the name the engine knows it by
 * @param dtype its element type
 * @param shape dimensions in declaration order; {@code -1} marks a dynamic dimension, and an empty
 *     list with {@code rank == -1} semantics is represented by {@code null} when the rank is
 *     unknown
 * @param layout its layout where known
 */
public record TensorInfo(String name, DType dtype, List<Long> shape, Layout layout) {
  public TensorInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(layout, "layout");
    shape = shape == null ? null : List.copyOf(shape);
  }

  /** Whether every dimension is known. */
  public boolean isStatic() {
    return shape != null && shape.stream().allMatch(d -> d >= 0);
  }

  /** The shape as an array, or {@code null} when the rank is unknown. */
  public long[] shapeArray() {
    return shape == null ? null : shape.stream().mapToLong(Long::longValue).toArray();
  }
}
