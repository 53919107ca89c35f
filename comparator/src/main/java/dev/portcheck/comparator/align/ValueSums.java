package dev.portcheck.comparator.align;

import dev.portcheck.importers.api.Tensor;
import java.nio.FloatBuffer;

/**
 * Sum, sum of absolute values and sum of squares of a tensor's values in one pass, in double
 * precision. The values are copied in small blocks into an array the loop reads with several
 * independent accumulators: a single accumulator chains every addition to the one before, which
 * keeps the loop at one element per addition latency; four chains let the CPU overlap them. The
 * block copy is a bulk copy, and reads engine buffers and mapped files without one whole-tensor
 * copy.
 */
final class ValueSums {
  private static final int BLOCK = 8192;

  private ValueSums() {}

  /** {@code {sum, absSum, sumOfSquares}} of the values, in whatever order the tensor holds them. */
  static double[] of(Tensor t) {
    if (!t.dtype().isFloating()) {
      double s = 0;
      double a = 0;
      double q = 0;
      for (int i = 0; i < t.size(); i++) {
        double v = t.getFloat(i);
        s += v;
        a += Math.abs(v);
        q += v * v;
      }
      return new double[] {s, a, q};
    }
    FloatBuffer in = t.floatBuffer();
    float[] block = new float[Math.min(BLOCK, Math.max(1, in.remaining()))];
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    double a0 = 0;
    double a1 = 0;
    double a2 = 0;
    double a3 = 0;
    double q0 = 0;
    double q1 = 0;
    double q2 = 0;
    double q3 = 0;
    while (in.hasRemaining()) {
      int n = Math.min(block.length, in.remaining());
      in.get(block, 0, n);
      int i = 0;
      for (; i + 3 < n; i += 4) {
        double v0 = block[i];
        double v1 = block[i + 1];
        double v2 = block[i + 2];
        double v3 = block[i + 3];
        s0 += v0;
        s1 += v1;
        s2 += v2;
        s3 += v3;
        a0 += Math.abs(v0);
        a1 += Math.abs(v1);
        a2 += Math.abs(v2);
        a3 += Math.abs(v3);
        q0 += v0 * v0;
        q1 += v1 * v1;
        q2 += v2 * v2;
        q3 += v3 * v3;
      }
      for (; i < n; i++) {
        double v = block[i];
        s0 += v;
        a0 += Math.abs(v);
        q0 += v * v;
      }
    }
    return new double[] {(s0 + s1) + (s2 + s3), (a0 + a1) + (a2 + a3), (q0 + q1) + (q2 + q3)};
  }
}
