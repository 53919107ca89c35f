package dev.portcheck.comparator;

import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.WeightLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A parameter's values in the canonical layout (OIHW, OI), summarised so that a baseline can tell
 * "unchanged", "rounded differently", "rearranged" and "changed" apart without storing the values.
 *
 * @param shape the canonical shape
 * @param sha256 SHA-256 of the canonical float32 values (little-endian): equal means identical
 * @param sum sum of the values
 * @param absSum sum of absolute values
 * @param l2 sum of squares
 * @param projections dot products with fixed pseudo-random ±1 vectors: close projections mean
 *     values close element by element, with the elements in the same order
 * @param hwSwappedProjections for square 4-D kernels, the projections of the kernel with H and W
 *     swapped (empty otherwise): a model matching these has the classic HWIO/OIHW slip
 */
public record Checksum(
    List<Long> shape,
    String sha256,
    double sum,
    double absSum,
    double l2,
    List<Double> projections,
    List<Double> hwSwappedProjections) {

  /** Number of random projections. */
  static final int PROJECTIONS = 4;

  public Checksum {
    shape = List.copyOf(shape);
    projections = List.copyOf(projections);
    hwSwappedProjections = List.copyOf(hwSwappedProjections);
  }

  /** The checksum of a parameter as a model stores it, in {@code layout}. */
  public static Checksum ofParameter(Tensor value, WeightLayout layout) {
    return of(Weights.toCanonical(value, layout));
  }

  /** The checksum of a tensor already in the canonical layout. */
  public static Checksum of(Tensor canonical) {
    float[] v = canonical.toFloatArray();
    ByteBuffer bytes = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    double s = 0;
    double a = 0;
    double q = 0;
    for (float x : v) {
      bytes.putFloat(x);
      s += x;
      a += Math.abs(x);
      q += (double) x * x;
    }
    String sha;
    try {
      sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
    long[] shape = canonical.shape();
    List<Double> hw = List.of();
    if (shape.length == 4 && shape[2] == shape[3] && shape[2] > 1) {
      hw = project(canonical.transpose(0, 1, 3, 2).toFloatArray());
    }
    return new Checksum(Arrays.stream(shape).boxed().toList(), sha, s, a, q, project(v), hw);
  }

  private static List<Double> project(float[] v) {
    List<Double> out = new ArrayList<>();
    for (int k = 0; k < PROJECTIONS; k++) {
      // A fixed seed per projection: the same vector at snapshot and check time, on any machine.
      SplittableRandom r = new SplittableRandom(0x9E3779B97F4A7C15L * (k + 1));
      double p = 0;
      for (float x : v) {
        p += r.nextBoolean() ? x : -x;
      }
      out.add(p);
    }
    return out;
  }

  /** Bit-identical values. */
  public boolean identical(Checksum o) {
    return sha256.equals(o.sha256) && shape.equals(o.shape);
  }

  /**
   * Whether the values may be within {@code atol + rtol·|ref|} of this (reference) element by
   * element: a projection differs by at most {@code n·atol + rtol·Σ|ref|} then, so a larger
   * difference proves a change.
   */
  public boolean close(Checksum o, double atol, double rtol) {
    return shape.equals(o.shape) && close(projections, o.projections, atol, rtol);
  }

  /** Whether {@code o} looks like this kernel with its H and W axes swapped. */
  public boolean hwSwapOf(Checksum o, double atol, double rtol) {
    return !hwSwappedProjections.isEmpty()
        && shape.equals(o.shape)
        && close(hwSwappedProjections, o.projections, atol, rtol);
  }

  /** Same multiset of values up to rounding: same sum, absolute sum and sum of squares. */
  public boolean sameValuesAnyOrder(Checksum o) {
    return fingerprint().matches(o.fingerprint());
  }

  /** The order-independent part, as alignment compares parameters whose values it holds. */
  Weights.Fingerprint fingerprint() {
    List<Long> sorted = new ArrayList<>(shape);
    sorted.sort(null);
    return new Weights.Fingerprint(sorted, sum, absSum, l2);
  }

  private boolean close(List<Double> p, List<Double> q, double atol, double rtol) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    double bound = n * atol + rtol * absSum + 1e-6 * Math.sqrt(l2);
    for (int k = 0; k < p.size() && k < q.size(); k++) {
      if (!(Math.abs(p.get(k) - q.get(k)) <= bound)) {
        return false;
      }
    }
    return true;
  }
}
