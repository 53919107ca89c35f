package dev.portcheck.importers.api;

import java.util.Locale;
import java.util.Map;

/**
 * A framework-neutral operation kind, so that {@code Conv}, {@code Conv2D} and {@code
 * torch.nn.Conv2d} line up when layers are aligned by op sequence. The native op type stays on
 * {@link Layer#opType()}.
 */
public enum OpKind {
  CONV,
  CONV_TRANSPOSE,
  BATCH_NORM,
  LAYER_NORM,
  INSTANCE_NORM,
  GROUP_NORM,
  LINEAR,
  MATMUL,
  ADD,
  SUB,
  MUL,
  DIV,
  CONCAT,
  RELU,
  RELU6,
  CLIP,
  LEAKY_RELU,
  SIGMOID,
  TANH,
  GELU,
  SILU,
  SOFTMAX,
  MAX_POOL,
  AVG_POOL,
  GLOBAL_AVG_POOL,
  REDUCE_MEAN,
  RESHAPE,
  FLATTEN,
  TRANSPOSE,
  PAD,
  RESIZE,
  ATTENTION,
  LSTM,
  GRU,
  DROPOUT,
  IDENTITY,
  CONSTANT,
  /** A container (a PyTorch module with children, a control-flow node). */
  CONTAINER,
  OTHER;

  /** Whether this kind carries trainable weights worth fingerprinting. */
  public boolean hasWeights() {
    return switch (this) {
      case CONV,
          CONV_TRANSPOSE,
          LINEAR,
          BATCH_NORM,
          LAYER_NORM,
          INSTANCE_NORM,
          GROUP_NORM,
          ATTENTION,
          LSTM,
          GRU ->
          true;
      default -> false;
    };
  }

  /** Whether this kind normalises with an epsilon that frameworks default differently. */
  public boolean isNormalization() {
    return this == BATCH_NORM || this == LAYER_NORM || this == INSTANCE_NORM || this == GROUP_NORM;
  }

  private static final Map<String, OpKind> ONNX =
      Map.ofEntries(
          Map.entry("conv", CONV),
          Map.entry("convtranspose", CONV_TRANSPOSE),
          Map.entry("batchnormalization", BATCH_NORM),
          Map.entry("layernormalization", LAYER_NORM),
          Map.entry("instancenormalization", INSTANCE_NORM),
          Map.entry("groupnormalization", GROUP_NORM),
          Map.entry("gemm", LINEAR),
          Map.entry("matmul", MATMUL),
          Map.entry("add", ADD),
          Map.entry("sub", SUB),
          Map.entry("mul", MUL),
          Map.entry("div", DIV),
          Map.entry("concat", CONCAT),
          Map.entry("relu", RELU),
          Map.entry("clip", CLIP),
          Map.entry("leakyrelu", LEAKY_RELU),
          Map.entry("sigmoid", SIGMOID),
          Map.entry("tanh", TANH),
          Map.entry("gelu", GELU),
          Map.entry("softmax", SOFTMAX),
          Map.entry("maxpool", MAX_POOL),
          Map.entry("averagepool", AVG_POOL),
          Map.entry("globalaveragepool", GLOBAL_AVG_POOL),
          Map.entry("reducemean", REDUCE_MEAN),
          Map.entry("reshape", RESHAPE),
          Map.entry("flatten", FLATTEN),
          Map.entry("transpose", TRANSPOSE),
          Map.entry("pad", PAD),
          Map.entry("resize", RESIZE),
          Map.entry("upsample", RESIZE),
          Map.entry("attention", ATTENTION),
          Map.entry("lstm", LSTM),
          Map.entry("gru", GRU),
          Map.entry("dropout", DROPOUT),
          Map.entry("identity", IDENTITY),
          Map.entry("constant", CONSTANT),
          Map.entry("if", CONTAINER),
          Map.entry("loop", CONTAINER),
          Map.entry("scan", CONTAINER));

  /** The kind of an ONNX operator type ({@code Conv}, {@code BatchNormalization}, ...). */
  public static OpKind fromOnnx(String opType) {
    return ONNX.getOrDefault(opType.toLowerCase(Locale.ROOT), OTHER);
  }
}
