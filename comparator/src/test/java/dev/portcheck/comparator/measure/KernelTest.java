package dev.portcheck.comparator.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vector kernel computes what the scalar one does: maxima and counts exactly (they do not
 * depend on the order of summation), sums to rounding. The tests run with the vector module, as the
 * launcher does, so the vector kernel is the one every other test exercises.
 */
class KernelTest {
  private static final double ATOL = 1e-4;
  private static final double RTOL = 1e-3;

  private static float[][] pair(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (r.nextGaussian() * 40);
      // Most elements just inside the tolerance, some just outside, a few far off.
      double d = (ATOL + RTOL * Math.abs(x[i])) * (0.5 + r.nextDouble());
      y[i] = (float) (x[i] + (r.nextBoolean() ? d : -d) + (i % 997 == 0 ? 3 : 0));
    }
    return new float[][] {x, y};
  }

  private static PassSums run(Kernel k, float[] x, float[] y, Moments m) {
    PassSums s = new PassSums();
    for (int off = 0; off < x.length; off += Kernel.CHUNK) {
      int n = Math.min(Kernel.CHUNK, x.length - off);
      float[] xs = java.util.Arrays.copyOfRange(x, off, off + n);
      float[] ys = java.util.Arrays.copyOfRange(y, off, off + n);
      k.stats(ys, n, m);
      k.compare(xs, ys, n, ATOL, RTOL, ATOL, s);
    }
    return s;
  }

  @Test
  void theProcessRunsTheVectorKernelOnceItIsWarmWhenTheModuleIsPresent() throws Exception {
    assertEquals("vector", Kernels.awaitSettled(java.time.Duration.ofSeconds(60)));
    assertInstanceOf(VectorKernel.class, Kernel.get());
  }

  @Test
  void vectorAndScalarKernelsAgreeOnMaximaCountsAndSums() {
    // A length that is no multiple of any vector width: the tail takes the scalar path.
    float[][] p = pair(3 * Kernel.CHUNK + 37, 7);
    Moments vm = new Moments(p[1][0]);
    Moments sm = new Moments(p[1][0]);
    PassSums v = run(new VectorKernel(), p[0], p[1], vm);
    PassSums s = run(new ScalarKernel(), p[0], p[1], sm);
    assertEquals(s.maxAbs, v.maxAbs);
    assertEquals(s.maxRel, v.maxRel);
    assertEquals(s.scale, v.scale);
    assertEquals(s.outside, v.outside);
    assertEquals(sm.lo, vm.lo);
    assertEquals(sm.hi, vm.hi);
    assertEquals(s.dot, v.dot, Math.abs(s.dot) * 1e-12);
    assertEquals(s.na, v.na, s.na * 1e-12);
    assertEquals(s.nb, v.nb, s.nb * 1e-12);
    assertEquals(sm.s1, vm.s1, Math.sqrt(sm.s2) * 1e-9);
    assertEquals(sm.s2, vm.s2, sm.s2 * 1e-12);
  }

  @Test
  void countOutsideToleranceIsExactAtTheBoundary() {
    // y - x lands exactly on atol + rtol * |x| for half the elements: strictly greater is outside.
    int n = 1000;
    float[] x = new float[n];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = 0;
      y[i] = i % 2 == 0 ? (float) ATOL : Math.nextUp((float) ATOL);
    }
    for (Kernel k : new Kernel[] {new VectorKernel(), new ScalarKernel()}) {
      PassSums s = new PassSums();
      k.compare(x, y, n, (float) ATOL, RTOL, ATOL, s);
      assertEquals(n / 2, s.outside, k.getClass().getSimpleName());
    }
  }
}
