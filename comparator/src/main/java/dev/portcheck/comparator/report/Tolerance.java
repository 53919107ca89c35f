package dev.portcheck.comparator.report;

/**
 * The allclose rule {@code |a - b| <= atol + rtol * |b|}, where {@code b} is the reference model's
 * value (numpy's convention).
 *
 * @param atol absolute tolerance
 * @param rtol relative tolerance
 */
public record Tolerance(double atol, double rtol) {
  /** atol 1e-4, rtol 1e-3: loose enough for float32 reordering across engines. */
  public static final Tolerance DEFAULT = new Tolerance(1e-4, 1e-3);

  public Tolerance {
    if (!(atol >= 0) || !(rtol >= 0)) {
      throw new IllegalArgumentException(
          "tolerances must be finite and >= 0, got atol=" + atol + " rtol=" + rtol);
    }
  }

  /** Whether {@code a} is close to the reference value {@code ref}. */
  public boolean close(double a, double ref) {
    return Math.abs(a - ref) <= atol + rtol * Math.abs(ref);
  }
}
