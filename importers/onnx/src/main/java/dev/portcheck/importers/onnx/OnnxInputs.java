package dev.portcheck.importers.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.platform.Fp16Conversions;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Checks caller inputs against the model's declaration and turns them into ORT tensors. Values are
 * converted within their family (a FLOAT32 tensor feeds a float16 or float64 input, an INT64 an
 * int32 one), because comparisons build their probes once as float32; floats are never fed to
 * integer inputs or the other way round.
 */
final class OnnxInputs {
  private OnnxInputs() {}

  static void validate(Path source, List<TensorInfo> declared, Map<String, Tensor> given) {
    List<String> names = declared.stream().map(TensorInfo::name).toList();
    for (String name : given.keySet()) {
      if (!names.contains(name)) {
        throw PortcheckException.badInput(
            source, "Unknown input name " + name + ", expected one of " + names + ".");
      }
    }
    for (TensorInfo d : declared) {
      Tensor t = given.get(d.name());
      if (t == null) {
        throw PortcheckException.badInput(
            source,
            "Missing input "
                + d.name()
                + " ("
                + d.dtype()
                + " "
                + d.shape()
                + "); the model takes "
                + names
                + ".");
      }
      boolean floating = d.dtype().isFloating();
      if (d.dtype() != DType.OTHER && floating != t.dtype().isFloating()) {
        throw PortcheckException.badInput(
            source,
            "input "
                + d.name()
                + " is declared "
                + d.dtype()
                + " but a "
                + t.dtype()
                + " tensor was given; pass "
                + (floating ? "floating-point" : "integer")
                + " values.");
      }
      long[] shape = t.shape();
      if (d.shape() != null) {
        boolean ok = d.shape().size() == shape.length;
        for (int i = 0; ok && i < shape.length; i++) {
          long want = d.shape().get(i);
          ok = want < 0 || want == shape[i];
        }
        if (!ok) {
          throw PortcheckException.badInput(
              source,
              "input "
                  + d.name()
                  + " has shape "
                  + Arrays.toString(shape)
                  + " but the model declares "
                  + d.shape()
                  + " (-1 = any size).");
        }
      }
    }
  }

  /** An ORT tensor of the declared element type holding {@code t}'s values. */
  static OnnxTensor create(OrtEnvironment env, TensorInfo declared, Tensor t) throws OrtException {
    long[] shape = t.shape();
    DType target = declared.dtype() == DType.OTHER ? t.dtype() : declared.dtype();
    switch (target) {
      case FLOAT32 -> {
        return OnnxTensor.createTensor(env, t.floatBuffer(), shape);
      }
      case FLOAT64 -> {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
          d[i] = f[i];
        }
        return OnnxTensor.createTensor(env, DoubleBuffer.wrap(d), shape);
      }
      case FLOAT16 -> {
        ShortBuffer s =
            Fp16Conversions.convertFloatBufferToFp16Buffer(FloatBuffer.wrap(t.toFloatArray()));
        return OnnxTensor.createTensor(env, s, shape, OnnxJavaType.FLOAT16);
      }
      case BFLOAT16 -> {
        ShortBuffer s =
            Fp16Conversions.convertFloatBufferToBf16Buffer(FloatBuffer.wrap(t.toFloatArray()));
        return OnnxTensor.createTensor(env, s, shape, OnnxJavaType.BFLOAT16);
      }
      case INT64 -> {
        return OnnxTensor.createTensor(env, LongBuffer.wrap(t.toLongArray()), shape);
      }
      case INT32 -> {
        long[] l = t.toLongArray();
        int[] v = new int[l.length];
        for (int i = 0; i < l.length; i++) {
          v[i] = (int) l[i];
        }
        return OnnxTensor.createTensor(env, IntBuffer.wrap(v), shape);
      }
      case INT16 -> {
        long[] l = t.toLongArray();
        short[] v = new short[l.length];
        for (int i = 0; i < l.length; i++) {
          v[i] = (short) l[i];
        }
        return OnnxTensor.createTensor(env, ShortBuffer.wrap(v), shape, OnnxJavaType.INT16);
      }
      case INT8, UINT8, BOOL -> {
        long[] l = t.toLongArray();
        byte[] v = new byte[l.length];
        for (int i = 0; i < l.length; i++) {
          v[i] = (byte) l[i];
        }
        OnnxJavaType jt =
            target == DType.INT8
                ? OnnxJavaType.INT8
                : target == DType.UINT8 ? OnnxJavaType.UINT8 : OnnxJavaType.BOOL;
        return OnnxTensor.createTensor(env, ByteBuffer.wrap(v), shape, jt);
      }
      default ->
          throw new OrtException(
              "input "
                  + declared.name()
                  + " has element type "
                  + target
                  + ", which portcheck cannot feed");
    }
  }
}
