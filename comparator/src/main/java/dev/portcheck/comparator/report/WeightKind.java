package dev.portcheck.comparator.report;

/**
 * The catalogue of weight findings: what a parameter that differs from the reference's looks like.
 * Each kind names a porting bug with a known fix, so that renderers can say what to do; a new
 * recognisable slip (a kernel flipped 180°, a Dense matrix with its rows in CHW instead of HWC
 * order, permuted input features) is a new constant here, recognised by {@code WeightComparer} and
 * worded by the renderers, whose switches over this enum make the compiler list every place that
 * must learn it.
 */
public enum WeightKind {
  /** A conv kernel equal to the reference's with H and W swapped: the HWIO/OIHW slip. */
  HW_SLIP,
  /** A conv kernel with input and output channels swapped: the OIHW/IOHW slip. */
  IO_SLIP,
  /** A conv kernel rotated 180° (H and W both reversed): convolution vs correlation. */
  KERNEL_FLIPPED,
  /**
   * A Dense matrix after a Flatten whose input features are in the other framework's flatten order:
   * rows left in PyTorch's (c, h, w) order where Keras flattens (h, w, c), or the reverse.
   */
  FLATTEN_ORDER,
  /** A Linear/Dense matrix whose input features are the reference's in another order. */
  PERMUTED_INPUTS,
  /** A conv kernel with its input channels reversed: RGB vs BGR. */
  CHANNELS_REVERSED,
  /**
   * A Dense matrix that is the reference's Linear weight not transposed ([in, out] vs [out, in]).
   */
  LINEAR_NOT_TRANSPOSED,
  /** The same values in another order, known from checksums only (a layout or transpose slip). */
  REORDERED,
  /** The shapes differ even in the canonical layout. */
  SHAPE_DIFFERS,
  /** A conv with a BatchNorm folded in does not equal {@code w·γ/√(var+ε)} of the other model. */
  FOLDED_MISMATCH,
  /** The values differ and no known slip explains them. */
  VALUES_DIFFER
}
