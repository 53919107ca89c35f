package dev.portcheck.importers.tensorflow;

import com.google.protobuf.ByteString;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Half;
import dev.portcheck.importers.api.RunScope;
import dev.portcheck.importers.api.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.tensorflow.RawTensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.buffer.DataStorageVisitor;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/** Conversions between TensorFlow tensors / TensorProtos and the api's heap {@link Tensor}. */
final class TfTensors {
  private TfTensors() {}

  static DType dtype(DataType t) {
    return switch (t) {
      case DT_FLOAT -> DType.FLOAT32;
      case DT_DOUBLE -> DType.FLOAT64;
      case DT_HALF -> DType.FLOAT16;
      case DT_BFLOAT16 -> DType.BFLOAT16;
      case DT_INT64 -> DType.INT64;
      case DT_INT32 -> DType.INT32;
      case DT_INT16 -> DType.INT16;
      case DT_INT8 -> DType.INT8;
      case DT_UINT8 -> DType.UINT8;
      case DT_BOOL -> DType.BOOL;
      case DT_STRING -> DType.STRING;
      default -> DType.OTHER;
    };
  }

  /** Dimensions of a shape proto; -1 for unknown dimensions, null for unknown rank. */
  static List<Long> dims(TensorShapeProto s) {
    if (s.getUnknownRank()) {
      return null;
    }
    List<Long> out = new ArrayList<>();
    for (TensorShapeProto.Dim d : s.getDimList()) {
      out.add(d.getSize() < 0 ? -1L : d.getSize());
    }
    return out;
  }

  /**
   * As {@link #fromTf(org.tensorflow.Tensor)}, but a float32 tensor is returned as a {@linkplain
   * Tensor#view view} of TensorFlow's own buffer, valid within {@code scope} and named {@code
   * name}: the caller keeps {@code t} open until {@code scope} has ended. A tensor whose memory
   * TensorFlow Java does not expose by address is copied.
   */
  static Tensor viewOf(org.tensorflow.Tensor t, RunScope scope, String name) {
    long n = t.shape().size();
    if (t.dataType() != DataType.DT_FLOAT || n == 0) {
      return fromTf(t);
    }
    long bytes = Math.multiplyExact(n, 4L);
    long address =
        t.asRawTensor()
            .data()
            .accept(
                new DataStorageVisitor<Long>() {
                  @Override
                  public Long visit(long address, long length, long scale) {
                    return length * scale >= bytes ? address : 0L;
                  }

                  @Override
                  public Long fallback() {
                    return 0L;
                  }
                });
    if (address == 0L || bytes > Integer.MAX_VALUE) {
      return fromTf(t);
    }
    FloatBuffer data =
        new NativeBytes(address, bytes)
            .asByteBuffer()
            .order(ByteOrder.nativeOrder())
            .asFloatBuffer();
    return Tensor.view(DType.FLOAT32, t.shape().asArray(), data, scope, name);
  }

  /**
   * {@code length} bytes of native memory at {@code address}, for a direct {@link ByteBuffer} over
   * them (JNI's NewDirectByteBuffer, through JavaCPP, which TensorFlow Java is built on). The
   * buffer does not own the memory.
   */
  private static final class NativeBytes extends BytePointer {
    NativeBytes(long address, long length) {
      this.address = address;
      this.limit = length;
      this.capacity = length;
    }
  }

  /** Copies a TF tensor out in one bulk read per tensor (no per-element boxing). */
  static Tensor fromTf(org.tensorflow.Tensor t) {
    long[] shape = t.shape().asArray();
    RawTensor raw = t.asRawTensor();
    ByteDataBuffer data = raw.data();
    int n = Math.toIntExact(t.shape().size());
    DType d = dtype(t.dataType());
    switch (d) {
      case FLOAT32 -> {
        float[] f = new float[n];
        data.asFloats().read(f);
        return Tensor.wrapFloats(DType.FLOAT32, shape, f);
      }
      case FLOAT64 -> {
        double[] v = new double[n];
        data.asDoubles().read(v);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = (float) v[i];
        }
        return Tensor.wrapFloats(DType.FLOAT64, shape, f);
      }
      default -> {
        byte[] bytes = new byte[Math.toIntExact(t.numBytes())];
        data.read(bytes);
        return fromBytes(d, shape, bytes);
      }
    }
  }

  /** A tensor from little-endian raw bytes of the given type. */
  static Tensor fromBytes(DType d, long[] shape, byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int n = Math.toIntExact(Tensor.elementCount(shape));
    switch (d) {
      case FLOAT32 -> {
        float[] f = new float[n];
        b.asFloatBuffer().get(f);
        return Tensor.wrapFloats(d, shape, f);
      }
      case FLOAT64, FLOAT16, BFLOAT16 -> {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] =
              switch (d) {
                case FLOAT64 -> (float) b.getDouble(i * 8);
                case FLOAT16 -> Half.toFloat(b.getShort(i * 2));
                default -> Half.bfloat16ToFloat(b.getShort(i * 2));
              };
        }
        return Tensor.wrapFloats(d, shape, f);
      }
      case INT64, INT32, INT16, INT8, UINT8, BOOL -> {
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
          l[i] =
              switch (d) {
                case INT64 -> b.getLong(i * 8);
                case INT32 -> b.getInt(i * 4);
                case INT16 -> b.getShort(i * 2);
                case UINT8, BOOL -> b.get(i) & 0xff;
                default -> b.get(i);
              };
        }
        return Tensor.ofLongs(d, shape, l);
      }
      default -> throw new IllegalArgumentException("cannot copy out a " + d + " tensor");
    }
  }

  /** A TF tensor holding {@code t}, converted to {@code want}. The caller closes it. */
  static org.tensorflow.Tensor toTf(Tensor t, DType want) {
    Shape shape = Shape.of(t.shape());
    return switch (want) {
      case FLOAT32 -> TFloat32.tensorOf(shape, DataBuffers.of(t.toFloatArray(), true, false));
      case FLOAT64 -> {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
          d[i] = f[i];
        }
        yield TFloat64.tensorOf(shape, DataBuffers.of(d, true, false));
      }
      case INT64 -> TInt64.tensorOf(shape, DataBuffers.of(t.toLongArray(), true, false));
      case INT32 -> {
        long[] l = t.toLongArray();
        int[] v = new int[l.length];
        for (int i = 0; i < l.length; i++) {
          v[i] = Math.toIntExact(l[i]);
        }
        yield TInt32.tensorOf(shape, DataBuffers.of(v, true, false));
      }
      case BOOL -> {
        long[] l = t.toLongArray();
        boolean[] v = new boolean[l.length];
        for (int i = 0; i < l.length; i++) {
          v[i] = l[i] != 0;
        }
        yield TBool.tensorOf(shape, DataBuffers.of(v, true, false));
      }
      default -> throw new IllegalArgumentException("cannot feed a " + want + " input");
    };
  }

  /** A TensorProto with the raw contents of a TF tensor (for constants built from variables). */
  static TensorProto toProto(org.tensorflow.Tensor t) {
    byte[] bytes = new byte[Math.toIntExact(t.numBytes())];
    t.asRawTensor().data().read(bytes);
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : t.shape().asArray()) {
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return TensorProto.newBuilder()
        .setDtype(t.dataType())
        .setTensorShape(s)
        .setTensorContent(ByteString.copyFrom(bytes))
        .build();
  }

  /** Shape of a TensorProto. */
  static long[] shape(TensorProto p) {
    return p.getTensorShape().getDimList().stream()
        .mapToLong(TensorShapeProto.Dim::getSize)
        .toArray();
  }

  /**
   * Values of a TensorProto: raw {@code tensor_content}, or the typed value lists where a single
   * value stands for the whole (splatted) tensor.
   */
  static Tensor fromProto(TensorProto p) {
    long[] shape = shape(p);
    DType d = dtype(p.getDtype());
    if (!p.getTensorContent().isEmpty()) {
      return fromBytes(d, shape, p.getTensorContent().toByteArray());
    }
    int n = Math.toIntExact(Tensor.elementCount(shape));
    if (d.isFloating()) {
      float[] f = new float[n];
      for (int i = 0; i < n; i++) {
        f[i] = floatAt(p, d, i);
      }
      return Tensor.wrapFloats(d, shape, f);
    }
    long[] l = new long[n];
    for (int i = 0; i < n; i++) {
      l[i] = longAt(p, d, i);
    }
    return Tensor.ofLongs(d == DType.STRING || d == DType.OTHER ? DType.OTHER : d, shape, l);
  }

  private static float floatAt(TensorProto p, DType d, int i) {
    return switch (d) {
      case FLOAT32 ->
          p.getFloatValCount() == 0 ? 0f : p.getFloatVal(Math.min(i, p.getFloatValCount() - 1));
      case FLOAT64 ->
          p.getDoubleValCount() == 0
              ? 0f
              : (float) p.getDoubleVal(Math.min(i, p.getDoubleValCount() - 1));
      case FLOAT16 ->
          p.getHalfValCount() == 0
              ? 0f
              : Half.toFloat((short) p.getHalfVal(Math.min(i, p.getHalfValCount() - 1)));
      default ->
          p.getHalfValCount() == 0
              ? 0f
              : Half.bfloat16ToFloat((short) p.getHalfVal(Math.min(i, p.getHalfValCount() - 1)));
    };
  }

  private static long longAt(TensorProto p, DType d, int i) {
    return switch (d) {
      case INT64 ->
          p.getInt64ValCount() == 0 ? 0 : p.getInt64Val(Math.min(i, p.getInt64ValCount() - 1));
      case BOOL ->
          p.getBoolValCount() == 0 ? 0 : p.getBoolVal(Math.min(i, p.getBoolValCount() - 1)) ? 1 : 0;
      default -> p.getIntValCount() == 0 ? 0 : p.getIntVal(Math.min(i, p.getIntValCount() - 1));
    };
  }
}
