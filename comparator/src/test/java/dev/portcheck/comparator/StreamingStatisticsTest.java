package dev.portcheck.comparator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.comparator.measure.ElementwiseDiff;
import dev.portcheck.comparator.measure.Summary;
import dev.portcheck.comparator.report.PairMetrics;
import dev.portcheck.comparator.report.Tolerance;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.RunScope;
import dev.portcheck.importers.api.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The per-layer statistics of the other model are computed inside the comparison pass when the two
 * tensors are compared in stored order: they must be exactly what a separate pass gives, on views
 * of engine buffers as on heap tensors, with NaNs as without.
 */
class StreamingStatisticsTest {
  @org.junit.jupiter.api.BeforeAll
  static void oneKernelThroughout() throws InterruptedException {
    // The process switches to the vector kernel once it is warm: not in the middle of a test.
    dev.portcheck.comparator.measure.Kernels.awaitSettled(java.time.Duration.ofSeconds(60));
  }

  private static float[] values(int n, long seed, boolean withNan) {
    Random r = new Random(seed);
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) (3 + r.nextGaussian() * 1e-3);
    }
    if (withNan) {
      f[n / 3] = Float.NaN;
      f[n / 2] = Float.POSITIVE_INFINITY;
    }
    return f;
  }

  private static Tensor view(long[] shape, float[] data) {
    FloatBuffer b =
        ByteBuffer.allocateDirect(data.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    b.put(data);
    return Tensor.view(DType.FLOAT32, shape, b, new RunScope.Sequence("test").next(), "y");
  }

  @Test
  void statisticsFromTheComparisonPassEqualASeparatePassBitForBit() {
    long[] shape = {1, 8, 33, 17};
    for (boolean withNan : new boolean[] {false, true}) {
      float[] x = values(8 * 33 * 17, 1, false);
      float[] y = values(8 * 33 * 17, 2, withNan);
      Tensor ref = Tensor.ofFloats(shape, x);
      Tensor other = view(shape, y);
      Summary separate = new Summary();
      separate.add(other);
      separate.add(Tensor.ofFloats(shape, x)); // a second probe merges the same way
      Summary fused = new Summary();
      ElementwiseDiff pair = new ElementwiseDiff(Tolerance.DEFAULT, false, true);
      assertTrue(pair.add(ref, Layout.NCHW, other, Layout.NCHW, fused));
      fused.add(Tensor.ofFloats(shape, x));
      assertEquals(separate.toStats(), fused.toStats(), "with NaN: " + withNan);
      assertEquals(withNan ? 1 : 0, fused.toStats().nanCount());
    }
  }

  @Test
  void aTransposedComparisonTakesTheOtherStatisticsInItsStoredOrderAndFindsAPlantedDifference() {
    // Two batches and more than one chunk of values, both directions of the layout change.
    long[] nchw = {2, 48, 9, 7};
    float[] x = values(2 * 48 * 9 * 7, 3, false);
    for (int i = 0; i < x.length; i++) {
      x[i] += i * 1e-3f; // every position distinct, so a misread index shows
    }
    Tensor ref = Tensor.ofFloats(nchw, x);
    for (Layout otherLayout : new Layout[] {Layout.NHWC, Layout.NCHW}) {
      Tensor reference = otherLayout == Layout.NHWC ? ref : ref.transpose(0, 2, 3, 1);
      Layout refLayout = otherLayout == Layout.NHWC ? Layout.NCHW : Layout.NHWC;
      float[] o = (otherLayout == Layout.NHWC ? ref.transpose(0, 2, 3, 1) : ref).toFloatArray();
      o[4000] += 0.5f;
      long[] shape = otherLayout == Layout.NHWC ? new long[] {2, 9, 7, 48} : nchw;
      Tensor other = view(shape, o);
      Summary separate = new Summary();
      separate.add(other);
      Summary fused = new Summary();
      ElementwiseDiff pair = new ElementwiseDiff(Tolerance.DEFAULT, false, true);
      assertTrue(pair.add(reference, refLayout, other, otherLayout, fused));
      assertEquals(separate.toStats(), fused.toStats(), "other stored as " + otherLayout);
      PairMetrics m = pair.toMetrics();
      assertEquals(0.5, m.maxAbsDiff(), 1e-3, "other stored as " + otherLayout);
      assertEquals(1.0 / o.length, m.fractionOutside(), 1e-12);
      assertTrue(m.comparedAs().startsWith("transpose("), m.comparedAs());
    }
  }

  @Test
  void theReferenceIsSummarisedInTheSamePassOnlyWhereItIsReadInStoredOrder() {
    long[] nchw = {1, 8, 33, 17};
    for (boolean withNan : new boolean[] {false, true}) {
      Tensor ref = view(nchw, values(8 * 33 * 17, 4, withNan));
      Tensor other = Tensor.ofFloats(nchw, values(8 * 33 * 17, 5, false));
      Summary separate = new Summary();
      separate.add(ref);
      Summary refSum = new Summary();
      ElementwiseDiff pair = new ElementwiseDiff(Tolerance.DEFAULT, false, true);
      assertEquals(
          ElementwiseDiff.Fused.BOTH,
          pair.add(ref, Layout.NCHW, other, Layout.NCHW, new Summary(), refSum));
      assertEquals(separate.toStats(), refSum.toStats(), "with NaN: " + withNan);
    }
    // Read through a transpose, the reference is left to the caller; the other is still fused.
    Tensor ref = Tensor.ofFloats(nchw, values(8 * 33 * 17, 6, false));
    Tensor nhwc = ref.transpose(0, 2, 3, 1);
    Summary refSum = new Summary();
    ElementwiseDiff pair = new ElementwiseDiff(Tolerance.DEFAULT, false, true);
    assertEquals(
        ElementwiseDiff.Fused.OTHER,
        pair.add(ref, Layout.NCHW, nhwc, Layout.NHWC, new Summary(), refSum));
    assertTrue(refSum.isEmpty());
  }

  @Test
  void nanOnOneSideIsAMismatchAndOnBothSidesAnAgreement() {
    long[] shape = {1, 4, 8, 8};
    float[] x = values(256, 4, false);
    float[] y = x.clone();
    x[10] = Float.NaN;
    y[10] = Float.NaN;
    y[20] = Float.NaN;
    ElementwiseDiff pair = new ElementwiseDiff(Tolerance.DEFAULT, false, true);
    pair.add(Tensor.ofFloats(shape, x), Layout.NCHW, view(shape, y), Layout.NCHW, new Summary());
    PairMetrics m = pair.toMetrics();
    assertEquals(1, m.nanMismatches());
    assertEquals(1.0 / 256, m.fractionOutside());
    assertFalse(m.withinTolerance());
    ElementwiseDiff same = new ElementwiseDiff(Tolerance.DEFAULT, false, true);
    same.add(Tensor.ofFloats(shape, x), Layout.NCHW, Tensor.ofFloats(shape, x), Layout.NCHW);
    assertTrue(same.toMetrics().withinTolerance());
    assertEquals(0.0, same.toMetrics().maxAbsDiff());
  }
}
