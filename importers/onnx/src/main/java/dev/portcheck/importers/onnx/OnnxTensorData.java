package dev.portcheck.importers.onnx;

import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Half;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.onnx.proto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Decodes a {@code TensorProto}'s values into a heap {@link Tensor}. ONNX stores values in one of
 * three places: {@code raw_data} (little-endian bytes, what exporters write), the typed repeated
 * fields (float16, bool and small ints packed into {@code int32_data}), or an external file.
 */
final class OnnxTensorData {
  private OnnxTensorData() {}

  static long[] shape(TensorProto t) {
    long[] shape = new long[t.getDimsCount()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = t.getDims(i);
    }
    return shape;
  }

  static Tensor decode(Path model, TensorProto t, OnnxExternalData external) {
    DType dtype = OnnxTypes.dtype(t.getDataType());
    long[] shape = shape(t);
    int n;
    try {
      n = Math.toIntExact(Tensor.elementCount(shape));
    } catch (ArithmeticException | IllegalArgumentException e) {
      throw PortcheckException.corrupt(
          model, "tensor '" + t.getName() + "' has invalid dimensions", e);
    }
    if (dtype == DType.STRING || dtype == DType.OTHER) {
      throw PortcheckException.of(
          PortcheckException.Reason.UNSUPPORTED_OP,
          model
              + ": tensor '"
              + t.getName()
              + "' has ONNX element type "
              + t.getDataType()
              + ", which portcheck cannot read as numbers.",
          null);
    }
    ByteBuffer raw = null;
    if (OnnxExternalData.isExternal(t)) {
      raw = ByteBuffer.wrap(external.read(t));
    } else if (t.hasRawData()) {
      // A view of the proto's bytes, not toByteArray(): one copy of the weights fewer.
      raw = t.getRawData().asReadOnlyByteBuffer().slice();
    }
    if (raw != null) {
      return fromRaw(model, t, dtype, shape, n, raw);
    }
    return fromTyped(model, t, dtype, shape, n);
  }

  private static Tensor fromRaw(
      Path model, TensorProto t, DType dtype, long[] shape, int n, ByteBuffer raw) {
    if ((long) n * dtype.byteSize() != raw.remaining()) {
      throw PortcheckException.corrupt(
          model,
          "tensor '"
              + t.getName()
              + "' holds "
              + raw.remaining()
              + " bytes but its shape and type need "
              + (long) n * dtype.byteSize(),
          null);
    }
    ByteBuffer b = raw.order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case FLOAT32 -> {
        float[] f = new float[n];
        b.asFloatBuffer().get(f);
        return Tensor.wrapFloats(dtype, shape, f);
      }
      case FLOAT64 -> {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = (float) b.getDouble(i * 8);
        }
        return Tensor.wrapFloats(dtype, shape, f);
      }
      case FLOAT16, BFLOAT16 -> {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          short s = b.getShort(i * 2);
          f[i] = dtype == DType.FLOAT16 ? Half.toFloat(s) : Half.bfloat16ToFloat(s);
        }
        return Tensor.wrapFloats(dtype, shape, f);
      }
      default -> {
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
          l[i] =
              switch (dtype) {
                case INT64 -> b.getLong(i * 8);
                case INT32 -> b.getInt(i * 4);
                case INT16 -> b.getShort(i * 2);
                case INT8 -> b.get(i);
                case UINT8, BOOL -> b.get(i) & 0xff;
                default -> throw new IllegalStateException(dtype.name());
              };
        }
        return Tensor.ofLongs(dtype, shape, l);
      }
    }
  }

  private static Tensor fromTyped(Path model, TensorProto t, DType dtype, long[] shape, int n) {
    int have =
        switch (dtype) {
          case FLOAT32 -> t.getFloatDataCount();
          case FLOAT64 -> t.getDoubleDataCount();
          case INT64 -> t.getInt64DataCount();
          default -> t.getInt32DataCount();
        };
    if (have != n) {
      throw PortcheckException.corrupt(
          model,
          "tensor '" + t.getName() + "' holds " + have + " values but its shape needs " + n,
          null);
    }
    switch (dtype) {
      case FLOAT32 -> {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = t.getFloatData(i);
        }
        return Tensor.wrapFloats(dtype, shape, f);
      }
      case FLOAT64 -> {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = (float) t.getDoubleData(i);
        }
        return Tensor.wrapFloats(dtype, shape, f);
      }
      case FLOAT16, BFLOAT16 -> {
        // Half-precision bit patterns travel in the low 16 bits of int32_data.
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          short s = (short) t.getInt32Data(i);
          f[i] = dtype == DType.FLOAT16 ? Half.toFloat(s) : Half.bfloat16ToFloat(s);
        }
        return Tensor.wrapFloats(dtype, shape, f);
      }
      case INT64 -> {
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
          l[i] = t.getInt64Data(i);
        }
        return Tensor.ofLongs(dtype, shape, l);
      }
      default -> {
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
          l[i] = t.getInt32Data(i);
        }
        return Tensor.ofLongs(dtype, shape, l);
      }
    }
  }
}
