package dev.portcheck.comparator.measure;

/**
 * When a difference outside tolerance is a divergence rather than float32 rounding.
 *
 * <p>The allclose rule {@code |a - b| <= atol + rtol·|b|} judges each element against its own
 * magnitude, so an element near zero in a tensor whose values reach 1e4 fails it by a few ulp of
 * the tensor's large values: two engines that sum a convolution in different orders differ by
 * rounding errors of the size of the largest terms, not of the result. A layer is therefore judged
 * on its difference relative to its own scale {@code S} (the reference's largest |value| on the
 * probes): outside tolerance and {@code maxAbsDiff > ρ·S} is a divergence, outside tolerance within
 * {@code ρ·S} is float32 drift ({@link dev.portcheck.comparator.report.LayerStatus#DRIFT}).
 *
 * <p>The budget {@code ρ} starts at {@link #BASE} (32 units in the last place of the tensor's
 * largest value, {@code 32·2^-23}) and grows with what the layers upstream have already drifted:
 * {@code ρ = min(MAX, max(BASE, GROWTH · e_up))}, where {@code e_up} is the largest relative
 * difference {@code maxAbsDiff / S} of any aligned layer upstream that did not diverge. Rounding
 * propagates and is amplified by each layer; a bug moves a layer's relative error by orders of
 * magnitude at once. The budget never exceeds {@link #MAX} ({@code 2^-13}): a difference larger
 * than that is not rounding whatever came before.
 */
public final class Significance {
  /** Float32's unit in the last place at 1: {@code 2^-23}. */
  public static final double ULP = 0x1p-23;

  /** The budget of a layer whose inputs agree exactly: 32 ulp of its largest value. */
  public static final double BASE = 32 * ULP;

  /** How much a layer may amplify the relative drift it receives. */
  public static final double GROWTH = 4;

  /** The largest budget, however much upstream drifted: {@code 2^-13 ≈ 1.2e-4}. */
  public static final double MAX = 0x1p-13;

  private Significance() {}

  /**
   * The rounding budget of a layer, relative to its scale, given the largest relative difference of
   * the layers upstream ({@code 0} or NaN when there are none).
   */
  public static double budget(double upstreamDrift) {
    double grown = Double.isFinite(upstreamDrift) ? GROWTH * upstreamDrift : 0;
    return Math.min(MAX, Math.max(BASE, grown));
  }
}
