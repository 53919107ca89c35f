package dev.portcheck.comparator.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** TensorFlow's SAME padding as explicit totals, checked against TF's own output sizes. */
class SamePaddingTest {
  @Test
  void strideTwoAtAnEvenSizePadsOnePixelAtAnOddSizeTwo() {
    // samepad's conv2: 3x3, stride 2 at 16 -> 8 outputs need 15 + 3 - 16 = 1 pixel (bottom only).
    assertEquals(1, AttributeComparer.samePadding(16, 2, 3, 1));
    // At 15 the same conv needs 2 (one each side): PyTorch's padding=1 agrees there.
    assertEquals(2, AttributeComparer.samePadding(15, 2, 3, 1));
  }

  @Test
  void strideOneNeedsNoSizeAndDilationWidensTheKernel() {
    assertEquals(2, AttributeComparer.samePadding(-1, 1, 3, 1));
    assertEquals(4, AttributeComparer.samePadding(-1, 1, 3, 2));
  }

  @Test
  void aKernelNoLargerThanItsStrideNeedsNoPaddingAtAMultipleOfTheStride() {
    assertEquals(0, AttributeComparer.samePadding(16, 2, 2, 1));
    assertEquals(1, AttributeComparer.samePadding(15, 2, 2, 1));
  }
}
