package dev.portcheck.comparator.report;

import java.util.List;

/**
 * A probe input transposed for one model because its layout differs from the reference's.
 *
 * @param modelId the model that received the transposed tensor
 * @param input that model's input name
 * @param from the reference layout ({@code NCHW})
 * @param to the model's layout ({@code NHWC})
 * @param permutation the numpy-style transpose applied
 */
public record LayoutConversion(
    String modelId, String input, String from, String to, List<Integer> permutation) {
  public LayoutConversion {
    permutation = List.copyOf(permutation);
  }
}
