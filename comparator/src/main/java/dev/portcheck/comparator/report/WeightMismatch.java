package dev.portcheck.comparator.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parameter of aligned layers whose values differ beyond the weight tolerance, after layout
 * conversion.
 *
 * @param names the layer, by model id
 * @param role normalised parameter role ({@code weight}, {@code bias}, {@code scale}, ...)
 * @param parameters the stored parameter name, by model id
 * @param modelId the model that differs from the reference
 * @param kind what the difference looks like
 * @param maxAbsDiff largest difference (NaN when shapes differ or only checksums were compared)
 * @param referenceShape the reference's canonical shape (OIHW, OI)
 * @param shape the differing model's canonical shape
 * @param digests the checksums compared when the reference keeps no values (a baseline), else null
 * @param permutation for {@link WeightKind#PERMUTED_INPUTS} and {@link WeightKind#FLATTEN_ORDER}:
 *     the port's input feature {@code i} is the reference's feature {@code permutation[i]}; empty
 *     otherwise
 * @param flattenChannels for {@link WeightKind#FLATTEN_ORDER}: the channels of the flattened
 *     feature map (its height × width is the input count divided by them); 0 otherwise
 * @param foldedBatchNorm the BatchNorm one model folded into this conv, when the kind was found
 *     after unfolding the other model's kernel with it ({@code w = w_folded / (gamma / sqrt(var +
 *     eps))} per output channel), else null
 */
public record WeightMismatch(
    Map<String, String> names,
    String role,
    Map<String, String> parameters,
    String modelId,
    WeightKind kind,
    double maxAbsDiff,
    List<Long> referenceShape,
    List<Long> shape,
    Digests digests,
    List<Integer> permutation,
    int flattenChannels,
    String foldedBatchNorm) {
  public WeightMismatch {
    permutation = permutation == null ? List.of() : List.copyOf(permutation);
    names = Collections.unmodifiableMap(new LinkedHashMap<>(names));
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    referenceShape = List.copyOf(referenceShape);
    shape = List.copyOf(shape);
  }

  /** A mismatch that is no reordering of input features. */
  public WeightMismatch(
      Map<String, String> names,
      String role,
      Map<String, String> parameters,
      String modelId,
      WeightKind kind,
      double maxAbsDiff,
      List<Long> referenceShape,
      List<Long> shape,
      Digests digests) {
    this(
        names,
        role,
        parameters,
        modelId,
        kind,
        maxAbsDiff,
        referenceShape,
        shape,
        digests,
        List.of(),
        0,
        null);
  }

  /**
   * What identifies changed values when only checksums are known.
   *
   * @param referenceSha256 SHA-256 of the reference's canonical values
   * @param sha256 SHA-256 of the differing model's canonical values
   * @param referenceNorm L2 norm of the reference's values
   * @param norm L2 norm of the differing model's values
   */
  public record Digests(String referenceSha256, String sha256, double referenceNorm, double norm) {}
}
