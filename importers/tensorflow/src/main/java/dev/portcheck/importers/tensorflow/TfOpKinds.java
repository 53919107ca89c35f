package dev.portcheck.importers.tensorflow;

import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.OpRole;
import dev.portcheck.importers.tensorflow.TfFlattener.FlatNode;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** TensorFlow op types to framework-neutral kinds, and which op characterises a layer. */
final class TfOpKinds {
  private TfOpKinds() {}

  /** Ops in the order they characterise a layer: a Conv2D layer with a fused Relu is a conv. */
  private static final List<String> PRIORITY =
      List.of(
          "Conv2D",
          "DepthwiseConv2dNative",
          "Conv2DBackpropInput",
          "Conv3D",
          "FusedBatchNormV3",
          "FusedBatchNorm",
          "FusedBatchNormV2",
          "Rsqrt",
          "Einsum",
          "MatMul",
          "BatchMatMulV2",
          "BatchMatMul",
          "MaxPool",
          "AvgPool",
          "ResizeBilinear",
          "ResizeNearestNeighbor",
          "ResizeBicubic",
          "Softmax",
          "Erf",
          "Mean",
          // An embedding lookup (Keras' Embedding: embedding_lookup then an Identity).
          "GatherV2",
          "GatherNd",
          "Pad",
          "PadV2",
          "MirrorPad",
          "ConcatV2",
          "Relu6",
          "Relu",
          "LeakyRelu",
          "Elu",
          "Selu",
          "Sigmoid",
          "Tanh",
          "AddV2",
          "Add",
          "Sub",
          "Mul",
          "RealDiv",
          "Reshape",
          "Transpose",
          "Squeeze",
          "Identity");

  private static final Map<String, OpKind> KINDS =
      Map.ofEntries(
          Map.entry("Conv2D", OpKind.CONV),
          Map.entry("Conv3D", OpKind.CONV),
          Map.entry("DepthwiseConv2dNative", OpKind.CONV),
          Map.entry("Conv2DBackpropInput", OpKind.CONV_TRANSPOSE),
          Map.entry("FusedBatchNormV3", OpKind.BATCH_NORM),
          Map.entry("FusedBatchNormV2", OpKind.BATCH_NORM),
          Map.entry("FusedBatchNorm", OpKind.BATCH_NORM),
          Map.entry("MatMul", OpKind.MATMUL),
          Map.entry("BatchMatMulV2", OpKind.MATMUL),
          Map.entry("BatchMatMul", OpKind.MATMUL),
          Map.entry("Einsum", OpKind.MATMUL),
          Map.entry("MaxPool", OpKind.MAX_POOL),
          Map.entry("AvgPool", OpKind.AVG_POOL),
          Map.entry("ResizeBilinear", OpKind.RESIZE),
          Map.entry("ResizeNearestNeighbor", OpKind.RESIZE),
          Map.entry("ResizeBicubic", OpKind.RESIZE),
          Map.entry("Softmax", OpKind.SOFTMAX),
          Map.entry("Erf", OpKind.GELU),
          Map.entry("Mean", OpKind.REDUCE_MEAN),
          Map.entry("Pad", OpKind.PAD),
          Map.entry("PadV2", OpKind.PAD),
          Map.entry("MirrorPad", OpKind.PAD),
          Map.entry("ConcatV2", OpKind.CONCAT),
          Map.entry("Relu", OpKind.RELU),
          Map.entry("Relu6", OpKind.RELU6),
          Map.entry("LeakyRelu", OpKind.LEAKY_RELU),
          Map.entry("Sigmoid", OpKind.SIGMOID),
          Map.entry("Tanh", OpKind.TANH),
          Map.entry("AddV2", OpKind.ADD),
          Map.entry("Add", OpKind.ADD),
          Map.entry("Sub", OpKind.SUB),
          Map.entry("Mul", OpKind.MUL),
          Map.entry("RealDiv", OpKind.DIV),
          Map.entry("Reshape", OpKind.RESHAPE),
          Map.entry("Transpose", OpKind.TRANSPOSE),
          Map.entry("Squeeze", OpKind.RESHAPE),
          Map.entry("Identity", OpKind.IDENTITY));

  /** Activation ops that may sit inside a conv/dense/norm layer. */
  static final List<String> ACTIVATIONS =
      List.of("Relu", "Relu6", "LeakyRelu", "Elu", "Selu", "Sigmoid", "Tanh", "Softplus", "Erf");

  /** The op that characterises a layer: dynamic ops first, then the static ones (BN's Rsqrt). */
  static FlatNode mainOp(List<FlatNode> dynamic, List<FlatNode> all) {
    for (String op : PRIORITY) {
      for (FlatNode n : dynamic) {
        if (n.op().equals(op)) {
          return n;
        }
      }
      if ("Rsqrt".equals(op)) {
        // Decomposed BatchNorm: the rsqrt(var + eps) chain is constant, so it is not dynamic.
        for (FlatNode n : all) {
          if (n.op().equals(op)) {
            return n;
          }
        }
      }
    }
    return dynamic.get(dynamic.size() - 1);
  }

  /** What an op does that its kind does not say, for the comparator. */
  static Set<OpRole> roles(String op) {
    // The flattener rewrites a variable's ResourceGather into GatherV2 on its value; Keras 3
    // reports an Embedding layer by its class.
    if (op.equals("Gather")
        || op.startsWith("GatherV2")
        || op.equals("ResourceGather")
        || op.endsWith("Embedding")) {
      return Set.of(OpRole.LOOKUP);
    }
    return switch (op) {
      case "BiasAdd" -> Set.of(OpRole.BIAS_ADD);
      case "MirrorPad" -> Set.of(OpRole.EDGE_PAD);
      case "Erf" -> Set.of(OpRole.ERF);
      default -> Set.of();
    };
  }

  /** The kind of a TF op type, before layer-level refinements. */
  static OpKind of(String op) {
    return KINDS.getOrDefault(op, OpKind.OTHER);
  }
}
