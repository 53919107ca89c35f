package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** An importer's convention fills in only what a 4-D tensor leaves undeclared. */
class LayoutConventionTest {
  @Test
  void anUndeclaredFourDimensionalTensorTakesTheConventionAndNothingElseDoes() {
    LayoutConvention onnxLike = new LayoutConvention(Layout.NCHW, Layout.UNSPECIFIED);
    assertEquals(Layout.NCHW, onnxLike.ofInput(Layout.UNSPECIFIED, 4));
    assertEquals(Layout.UNSPECIFIED, onnxLike.ofActivation(Layout.UNSPECIFIED, 4));
    assertEquals(Layout.NHWC, onnxLike.ofInput(Layout.NHWC, 4));
    assertEquals(
        Layout.UNSPECIFIED, LayoutConvention.CHANNELS_FIRST.ofActivation(Layout.UNSPECIFIED, 2));
    assertEquals(Layout.NCHW, LayoutConvention.CHANNELS_FIRST.ofActivation(Layout.UNSPECIFIED, 4));
    assertEquals(Layout.NTC, LayoutConvention.CHANNELS_LAST.ofActivation(Layout.NTC, 3));
    assertEquals(Layout.NHWC, LayoutConvention.CHANNELS_LAST.ofInput(Layout.UNSPECIFIED, 4));
    assertEquals(Layout.UNSPECIFIED, LayoutConvention.NONE.ofInput(Layout.UNSPECIFIED, 4));
  }
}
