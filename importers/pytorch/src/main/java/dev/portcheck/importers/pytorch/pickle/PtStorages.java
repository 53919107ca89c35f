package dev.portcheck.importers.pytorch.pickle;

import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Half;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Turns {@link PtPickled.TensorRef}s into {@link Tensor}s: reads the storage's little-endian bytes
 * (torch writes native order and every platform it ships on is little-endian; {@code byteorder}
 * says so) and gathers the view's elements by offset and stride, so transposed or sliced views come
 * out in row-major order like {@code tensor.contiguous()}.
 */
public final class PtStorages {
  private final Path file;
  private final Function<PtPickled.Storage, ByteBuffer> reader;
  private final Ranged ranged;

  /**
   * Reads part of a storage straight into a float array, where the format allows (a zip entry):
   * {@link #bytes} is the storage's size in bytes or -1 when unknown, {@link #readFloats} fills
   * {@code dst} from byte {@code offset} of the storage.
   */
  public interface Ranged {
    /** The storage's size in bytes, or -1 when it is not known without reading it. */
    long bytes(PtPickled.Storage storage);

    /** Fills {@code dst} with the little-endian float32 values from byte {@code offset} on. */
    void readFloats(PtPickled.Storage storage, long offset, float[] dst);
  }

  /**
   * The last storage read: tensors that share a storage (views, a fused projection split in three)
   * are usually read one after another. Holding every storage instead kept a second copy of all the
   * weights in the heap for as long as the model stayed open.
   */
  private String lastKey;

  private ByteBuffer last;

  /**
   * @param file the model file, for messages
   * @param reader returns a storage's raw bytes
   */
  public PtStorages(Path file, Function<PtPickled.Storage, ByteBuffer> reader) {
    this(file, reader, null);
  }

  /**
   * @param file the model file, for messages
   * @param reader returns a storage's raw bytes
   * @param ranged reads a contiguous float32 tensor out of its storage without the whole storage in
   *     memory; null to always go through {@code reader}
   */
  public PtStorages(Path file, Function<PtPickled.Storage, ByteBuffer> reader, Ranged ranged) {
    this.file = file;
    this.reader = reader;
    this.ranged = ranged;
  }

  /** Copies the tensor a reference describes. */
  public synchronized Tensor materialize(String name, PtPickled.TensorRef ref) {
    PtPickled.Storage st = ref.storage();
    DType dt = st.dtype();
    int es = dt.byteSize();
    long[] shape = ref.shape();
    long[] stride = ref.stride();
    long storageBytes = -1;
    if (ranged != null && dt == DType.FLOAT32 && rowMajor(shape, stride)) {
      storageBytes = ranged.bytes(st);
    }
    boolean direct = storageBytes >= 0 && !st.key().equals(lastKey);
    ByteBuffer buf = null;
    if (!direct) {
      if (!st.key().equals(lastKey)) {
        last = reader.apply(st);
        lastKey = st.key();
      }
      buf = last.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }
    long have = (direct ? storageBytes : buf.remaining()) / es;
    long n;
    try {
      n = Tensor.elementCount(shape);
    } catch (ArithmeticException e) {
      throw PortcheckException.corrupt(file, "tensor '" + name + "' has an overflowing shape", e);
    }
    if (n > Integer.MAX_VALUE - 8) {
      throw PortcheckException.notRunnable(file, "tensor '" + name + "' is too large to copy");
    }
    // Offsets and strides come from the file: a negative offset or a product past 2^63 must be
    // "corrupt", not an index that wraps around and reads outside the storage.
    long maxIndex = ref.offset();
    try {
      for (int i = 0; i < shape.length; i++) {
        if (shape[i] > 0) {
          maxIndex = Math.addExact(maxIndex, Math.multiplyExact(shape[i] - 1, stride[i]));
        }
      }
    } catch (ArithmeticException e) {
      maxIndex = Long.MAX_VALUE;
    }
    if (ref.offset() < 0 || maxIndex < 0) {
      throw PortcheckException.corrupt(
          file,
          "tensor '" + name + "' has a negative storage offset " + ref.offset() + " or stride",
          null);
    }
    if (n > 0 && (maxIndex >= have || maxIndex >= st.numel() && st.numel() > 0)) {
      throw PortcheckException.corrupt(
          file,
          "tensor '"
              + name
              + "' reads element "
              + maxIndex
              + " of storage '"
              + st.key()
              + "', which holds "
              + Math.min(have, st.numel()),
          null);
    }
    int count = (int) n;
    if (direct) {
      // A contiguous float32 tensor: read its range of the storage straight into the array.
      float[] f = new float[count];
      if (count > 0) {
        ranged.readFloats(st, ref.offset() * es, f);
      }
      return Tensor.wrapFloats(dt, shape, f);
    }
    int base = buf.position();
    if (count > 0 && dt == DType.FLOAT32 && rowMajor(shape, stride)) {
      // The usual case (every parameter torch.save writes from a contiguous module): one bulk copy
      // instead of an indexed read per element.
      float[] f = new float[count];
      buf.position(base + (int) (ref.offset() * es)).asFloatBuffer().get(f);
      return Tensor.wrapFloats(dt, shape, f);
    }
    int rank = shape.length;
    int[] idx = new int[rank];
    long src = ref.offset();
    float[] f = dt.isFloating() ? new float[count] : null;
    long[] l = f == null ? new long[count] : null;
    for (int i = 0; i < count; i++) {
      int at = base + (int) (src * es);
      if (f != null) {
        f[i] =
            switch (dt) {
              case FLOAT32 -> buf.getFloat(at);
              case FLOAT64 -> (float) buf.getDouble(at);
              case FLOAT16 -> Half.toFloat(buf.getShort(at));
              default -> Half.bfloat16ToFloat(buf.getShort(at));
            };
      } else {
        l[i] =
            switch (dt) {
              case INT64 -> buf.getLong(at);
              case INT32 -> buf.getInt(at);
              case INT16 -> buf.getShort(at);
              case INT8 -> buf.get(at);
              default -> buf.get(at) & 0xff;
            };
      }
      for (int ax = rank - 1; ax >= 0; ax--) {
        idx[ax]++;
        src += stride[ax];
        if (idx[ax] < shape[ax]) {
          break;
        }
        src -= stride[ax] * shape[ax];
        idx[ax] = 0;
      }
    }
    return f != null ? Tensor.wrapFloats(dt, shape, f) : Tensor.ofLongs(dt, shape, l);
  }

  /** Whether {@code stride} is the row-major layout of {@code shape} (unit axes may have any). */
  private static boolean rowMajor(long[] shape, long[] stride) {
    long expected = 1;
    for (int ax = shape.length - 1; ax >= 0; ax--) {
      if (shape[ax] != 1 && stride[ax] != expected) {
        return false;
      }
      expected *= shape[ax];
    }
    return true;
  }
}
