package dev.portcheck.importers.onnx;

import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.onnx.proto.AttributeProto;
import dev.portcheck.importers.onnx.proto.GraphProto;
import dev.portcheck.importers.onnx.proto.NodeProto;
import dev.portcheck.importers.onnx.proto.TensorShapeProto;
import dev.portcheck.importers.onnx.proto.TypeProto;
import dev.portcheck.importers.onnx.proto.ValueInfoProto;
import java.util.ArrayList;
import java.util.List;

/** Maps ONNX element types and value declarations onto the api's types. */
final class OnnxTypes {
  private OnnxTypes() {}

  /** The api dtype of an ONNX {@code TensorProto.DataType} number. */
  static DType dtype(int onnxType) {
    return switch (onnxType) {
      case 1 -> DType.FLOAT32;
      case 2 -> DType.UINT8;
      case 3 -> DType.INT8;
      case 5 -> DType.INT16;
      case 6 -> DType.INT32;
      case 7 -> DType.INT64;
      case 8 -> DType.STRING;
      case 9 -> DType.BOOL;
      case 10 -> DType.FLOAT16;
      case 11 -> DType.FLOAT64;
      case 16 -> DType.BFLOAT16;
      default -> DType.OTHER; // uint16/32/64, complex, float8, int4: not modelled by the api
    };
  }

  /** A declared input or output; unknown dimensions become -1, an unknown rank a null shape. */
  static TensorInfo tensorInfo(ValueInfoProto v) {
    TypeProto type = v.getType();
    if (!type.hasTensorType()) {
      return new TensorInfo(v.getName(), DType.OTHER, null, Layout.UNSPECIFIED);
    }
    TypeProto.Tensor t = type.getTensorType();
    DType dtype = dtype(t.getElemType());
    if (!t.hasShape()) {
      return new TensorInfo(v.getName(), dtype, null, Layout.UNSPECIFIED);
    }
    List<Long> shape = new ArrayList<>();
    for (TensorShapeProto.Dimension d : t.getShape().getDimList()) {
      shape.add(d.hasDimValue() && d.getDimValue() >= 0 ? d.getDimValue() : -1L);
    }
    // ONNX is channels-first; a rank-4 floating input is an image batch [N, C, H, W].
    Layout layout = shape.size() == 4 && dtype.isFloating() ? Layout.NCHW : Layout.UNSPECIFIED;
    return new TensorInfo(v.getName(), dtype, shape, layout);
  }

  /**
   * A graph input, with its layout read from how the graph uses it: tf2onnx keeps a Keras model's
   * channels-last input and transposes it to NCHW ({@code perm [0, 3, 1, 2]}) before the first
   * Conv, so an input consumed only by such Transposes is NHWC.
   */
  static TensorInfo graphInput(GraphProto graph, ValueInfoProto v) {
    TensorInfo info = tensorInfo(v);
    if (info.layout() != Layout.NCHW) {
      return info;
    }
    boolean used = false;
    for (NodeProto n : graph.getNodeList()) {
      if (!n.getInputList().contains(v.getName())) {
        continue;
      }
      used = true;
      if (!n.getOpType().equals("Transpose") || !toNchwPerm(n)) {
        return info;
      }
    }
    return used ? new TensorInfo(info.name(), info.dtype(), info.shape(), Layout.NHWC) : info;
  }

  private static boolean toNchwPerm(NodeProto transpose) {
    for (AttributeProto a : transpose.getAttributeList()) {
      if (a.getName().equals("perm")) {
        return a.getIntsList().equals(List.of(0L, 3L, 1L, 2L));
      }
    }
    return false;
  }
}
