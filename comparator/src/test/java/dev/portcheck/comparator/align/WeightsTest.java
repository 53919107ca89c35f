package dev.portcheck.comparator.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.WeightLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Fingerprints are taken from parameters as the model stores them, without the canonical copy: they
 * must be the canonical copy's, shape included.
 */
class WeightsTest {
  private static Tensor random(long... shape) {
    SplittableRandom r = new SplittableRandom(7);
    float[] v = new float[(int) Tensor.elementCount(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.ofFloats(shape, v);
  }

  private static void storedFingerprintIsCanonical(Tensor stored, WeightLayout layout) {
    Tensor canonical = Weights.toCanonical(stored, layout);
    long[] shape = Weights.canonicalShape(stored.shape(), layout);
    assertArrayEquals(canonical.shape(), shape, layout.name());
    Weights.Fingerprint fromStored = Weights.Fingerprint.of(stored, shape);
    Weights.Fingerprint fromCanonical = Weights.Fingerprint.of(canonical, canonical.shape());
    assertEquals(fromCanonical.sortedShape(), fromStored.sortedShape(), layout.name());
    assertTrue(fromStored.matches(fromCanonical), layout.name());
  }

  @Test
  void aTensorFlowKernelIsFingerprintedAsItsPyTorchLayout() {
    storedFingerprintIsCanonical(random(3, 5, 4, 8), WeightLayout.HWIO);
  }

  @Test
  void aDepthwiseKernelWithAMultiplierTakesTheGroupedConvShape() {
    // [kh, kw, C, M] with M = 2 becomes [C*M, 1, kh, kw]: another multiset of dimensions.
    storedFingerprintIsCanonical(random(3, 3, 16, 2), WeightLayout.HWIM);
    assertArrayEquals(
        new long[] {32, 1, 3, 3},
        Weights.canonicalShape(new long[] {3, 3, 16, 2}, WeightLayout.HWIM));
  }

  @Test
  void aKerasDenseMatrixIsFingerprintedTransposed() {
    storedFingerprintIsCanonical(random(12, 7), WeightLayout.IO);
  }

  @Test
  void otherLayoutsAreFingerprintedAsStored() {
    storedFingerprintIsCanonical(random(8, 4, 3, 3), WeightLayout.OIHW);
    storedFingerprintIsCanonical(random(9), WeightLayout.VECTOR);
  }

  @Test
  void valueSumsOfARaggedLengthCountEveryValue() {
    // 8192 + 3 values: a full block, then a tail shorter than the unrolled step.
    float[] v = new float[8195];
    double sum = 0;
    double abs = 0;
    double sq = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = (i % 7) - 3.5f;
      sum += v[i];
      abs += Math.abs(v[i]);
      sq += (double) v[i] * v[i];
    }
    double[] m = ValueSums.of(Tensor.ofFloats(new long[] {v.length}, v));
    assertEquals(sum, m[0], 1e-9);
    assertEquals(abs, m[1], 1e-9);
    assertEquals(sq, m[2], 1e-9);
  }
}
