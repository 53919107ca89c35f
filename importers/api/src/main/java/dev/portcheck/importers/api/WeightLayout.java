package dev.portcheck.importers.api;

/**
 * How a weight tensor's axes are ordered. Porting bugs hide here: PyTorch and ONNX store a conv
 * kernel as {@code [out, in, kh, kw]}, TensorFlow as {@code [kh, kw, in, out]}, and a Linear as
 * {@code [out, in]} where Keras' Dense keeps {@code [in, out]}.
 */
public enum WeightLayout {
  /** Conv kernel {@code [out, in/groups, kh, kw]} (PyTorch, ONNX). */
  OIHW,
  /** Conv kernel {@code [kh, kw, in, out]} (TensorFlow). */
  HWIO,
  /** TensorFlow depthwise kernel {@code [kh, kw, in, multiplier]}. */
  HWIM,
  /** Dense matrix {@code [out, in]} (PyTorch Linear, ONNX Gemm with transB=1). */
  OI,
  /** Dense matrix {@code [in, out]} (Keras Dense, ONNX MatMul). */
  IO,
  /** One value per channel (bias, BatchNorm statistics) or a vector. */
  VECTOR,
  /** Anything else: compared element by element as stored. */
  OTHER
}
