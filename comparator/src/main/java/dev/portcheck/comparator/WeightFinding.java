package dev.portcheck.comparator;

import java.util.Objects;

/**
 * A parameter of a layer differs from the reference's, of a catalogued {@link WeightKind}.
 *
 * @param layer the layer as the reference names it
 * @param mismatch the parameter, its kind and the evidence
 */
public record WeightFinding(String layer, WeightMismatch mismatch) implements Finding {
  public WeightFinding {
    Objects.requireNonNull(mismatch, "mismatch");
  }

  @Override
  public String modelId() {
    return mismatch.modelId();
  }

  /** What the difference looks like. */
  public WeightKind kind() {
    return mismatch.kind();
  }
}
