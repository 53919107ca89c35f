package dev.portcheck.importers.api;

/**
 * Memory layout of an activation tensor. PyTorch and ONNX are channels-first, TensorFlow/Keras
 * channels-last, so the comparator needs to know which one it holds before it compares elements.
 */
public enum Layout {
  /** Channels first: {@code [N, C, H, W]} (or {@code [N, C, L]}, {@code [N, C, D, H, W]}). */
  NCHW,
  /** Channels last: {@code [N, H, W, C]} (TensorFlow's default). */
  NHWC,
  /** Batch, time, features: sequence models, identical in every framework. */
  NTC,
  /** No spatial layout (vectors, scalars) or not known. */
  UNSPECIFIED
}
