package dev.portcheck.importers.pytorch.script;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunScope;
import dev.portcheck.importers.api.TempFiles;
import dev.portcheck.importers.api.Tensor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads TorchScript modules into libtorch through DJL and runs them; every result is out of
 * libtorch (in a reused direct buffer or a heap array) before the per-run NDManager closes. Holds
 * at most two modules: the file as it is (plain runs) and its recording rewrite (tapped runs), each
 * loaded on first use. Only one is loaded at a time: each holds its own copy of the weights, and a
 * comparison runs every probe on the same one.
 */
public final class PtRunner implements AutoCloseable {
  /** Writes a TorchScript archive (the recording rewrite) to a stream. */
  @FunctionalInterface
  public interface ArchiveWriter {
    /** Writes the whole archive; does not close {@code out}. */
    void writeTo(OutputStream out) throws IOException;
  }

  /** A run's results: the model outputs and the recorded module outputs by prefix key. */
  public record Output(List<Tensor> outputs, Map<String, Tensor> records) {}

  private final Path source;
  private PtNDManager manager;
  private PtSymbolBlock plain;
  private PtSymbolBlock tapped;
  private boolean closed;

  /**
   * Direct buffers that float results are copied into, by record key (outputs by position), reused
   * run after run. A tapped run hands them to the rewritten module as its destinations, so that
   * libtorch copies each recorded output straight into them: no allocation in libtorch, no second
   * copy out of it and no new heap array to zero and collect for each of a probe's activations.
   */
  private final Map<String, Slot> reuse = new HashMap<>();

  /** A reused buffer and the shape it was last filled with (the shape handed to libtorch). */
  private record Slot(ByteBuffer bytes, long[] shape) {}

  public PtRunner(Path source) {
    this.source = source;
  }

  private PtNDManager manager() {
    if (manager == null) {
      try {
        manager = (PtNDManager) Engine.getEngine("PyTorch").newBaseManager();
      } catch (RuntimeException | UnsatisfiedLinkError e) {
        throw PortcheckException.engine(source, "starting libtorch (DJL PyTorch engine)", e);
      }
    }
    return manager;
  }

  /** Runs the unmodified module's {@code forward}. */
  public synchronized Output runPlain(List<Object> args, boolean reset, RunScope inPlace) {
    ensureOpen();
    if (plain == null) {
      tapped = closeQuietly(tapped);
      plain = load(source, "loading the TorchScript module");
    }
    return run(plain, null, args, reset, List.of(), inPlace);
  }

  /**
   * Runs {@code method} of the rewritten module, loading it from the bytes on first use, with the
   * record keys {@code keys} as its destinations: only those modules are recorded.
   */
  public synchronized Output runTapped(
      ArchiveWriter rewritten,
      String method,
      List<Object> args,
      boolean reset,
      Collection<String> keys,
      RunScope inPlace) {
    ensureOpen();
    if (tapped == null) {
      plain = closeQuietly(plain);
      // libtorch loads modules from files only. The copy lives for the load alone, and is
      // registered so that Ctrl-C during the write or the load does not leave it behind.
      Path tmp = null;
      try {
        tmp = TempFiles.create("portcheck-pt-", ".pt");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
          rewritten.writeTo(out);
        }
        tapped = load(tmp, "loading the TorchScript module rewritten to record submodule outputs");
      } catch (IOException e) {
        throw PortcheckException.engine(source, "writing the rewritten module to a temp file", e);
      } finally {
        TempFiles.delete(tmp);
      }
    }
    return run(tapped, method, args, reset, keys, inPlace);
  }

  private PtSymbolBlock load(Path file, String during) {
    try {
      return JniUtils.loadModule(manager(), file, true, new String[0], new String[0], false);
    } catch (RuntimeException e) {
      throw PortcheckException.engine(source, during, e);
    }
  }

  private Output run(
      PtSymbolBlock block,
      String method,
      List<Object> args,
      boolean reset,
      Collection<String> keys,
      RunScope inPlace) {
    List<IValue> owned = new ArrayList<>();
    Into into = new Into(reuse, inPlace);
    try (PtNDManager sub = (PtNDManager) manager().newSubManager()) {
      if (reset) {
        // Stateful modules (Silero keeps its LSTM state and audio context) must start fresh.
        owned.add(IValueUtils.runMethod(block, "reset_states"));
      }
      int offset = method == null ? 0 : 1;
      IValue[] in = new IValue[args.size() + offset];
      if (method != null) {
        in[0] = destinations(sub, keys);
        owned.add(in[0]);
      }
      for (int i = offset; i < in.length; i++) {
        in[i] = toIValue(sub, args.get(i - offset));
        owned.add(in[i]);
      }
      IValue result = method == null ? block.forward(in) : IValueUtils.runMethod(block, method, in);
      owned.add(result);
      List<Tensor> outputs = new ArrayList<>();
      Map<String, Tensor> records = new LinkedHashMap<>();
      IValue out = result;
      if (method != null) {
        IValue[] pair = result.toIValueTuple();
        owned.addAll(List.of(pair));
        out = pair[0];
        Map<String, IValue> map = pair[1].toIValueMap();
        owned.addAll(map.values());
        for (Map.Entry<String, IValue> e : map.entrySet()) {
          if (e.getValue().isTensor()) {
            records.put(e.getKey(), copy(e.getValue().toTensor(sub), e.getKey(), into, true));
          }
        }
      }
      collect(sub, out, outputs, owned, 0, into);
      return new Output(outputs, records);
    } catch (PortcheckException e) {
      throw e;
    } catch (RuntimeException e) {
      throw PortcheckException.engine(
          source, "running the TorchScript module", new RuntimeException(cause(e), e));
    } finally {
      for (IValue v : owned) {
        try {
          v.close();
        } catch (RuntimeException e) {
          // Keep releasing the rest.
        }
      }
    }
  }

  private void collect(
      PtNDManager sub, IValue v, List<Tensor> out, List<IValue> owned, int depth, Into into) {
    if (depth > 8) {
      return;
    }
    if (v.isTensor()) {
      // Record keys are module paths; no module path starts with '#'.
      out.add(copy(v.toTensor(sub), "#output" + out.size(), into, false));
    } else if (v.isTuple() || v.isList()) {
      IValue[] items = v.isTuple() ? v.toIValueTuple() : v.toIValueArray();
      owned.addAll(List.of(items));
      for (IValue i : items) {
        collect(sub, i, out, owned, depth + 1, into);
      }
    }
  }

  /**
   * The rewritten module's destinations: for each key, its reused buffer shaped as it was last
   * filled, or an empty tensor (recorded as a clone) while its shape is not known yet. The buffers
   * stay referenced by {@link #reuse} while libtorch writes into them.
   */
  private IValue destinations(PtNDManager sub, Collection<String> keys) {
    Map<String, PtNDArray> into = new LinkedHashMap<>();
    for (String k : keys) {
      Slot slot = reuse.get(k);
      into.put(
          k,
          slot == null
              ? (PtNDArray) sub.create(new Shape(0), DataType.FLOAT32)
              : JniUtils.createNdFromByteBuffer(
                  sub,
                  slot.bytes(),
                  new Shape(slot.shape()),
                  DataType.FLOAT32,
                  SparseFormat.DENSE,
                  Device.cpu()));
    }
    return IValue.stringMapFrom(into);
  }

  private static IValue toIValue(PtNDManager sub, Object arg) {
    if (arg instanceof Tensor t) {
      Shape shape = new Shape(t.shape());
      NDArray a;
      if (t.dtype().isFloating()) {
        a = sub.create(FloatBuffer.wrap(t.toFloatArray()), shape, DataType.FLOAT32);
      } else if (t.dtype() == DType.BOOL) {
        a =
            sub.create(LongBuffer.wrap(t.toLongArray()), shape, DataType.INT64)
                .toType(DataType.BOOLEAN, false);
      } else {
        a = sub.create(LongBuffer.wrap(t.toLongArray()), shape, DataType.INT64);
      }
      return IValue.from((PtNDArray) a);
    }
    if (arg instanceof Long l) {
      return IValue.from(l);
    }
    if (arg instanceof Double d) {
      return IValue.from(d);
    }
    if (arg instanceof Boolean b) {
      return IValue.from(b);
    }
    throw new IllegalArgumentException("unsupported argument " + arg);
  }

  /**
   * The reused buffers, and the scope views of them are valid in ({@code null}: the run copies into
   * the heap).
   */
  private record Into(Map<String, Slot> buffers, RunScope scope) {}

  /**
   * Copies {@code a} out of libtorch: a float result into the buffer kept under {@code key} (unless
   * it was handed to libtorch as a {@code destination} and written there), returned as a
   * {@linkplain Tensor#view view} of it or, without a scope, copied from there into the heap; any
   * other into the heap.
   */
  private static Tensor copy(NDArray a, String key, Into into, boolean destination) {
    long[] shape = a.getShape().getShape();
    DataType dt = a.getDataType();
    switch (dt) {
      case FLOAT32:
        {
          int n = Math.toIntExact(a.size());
          if (n > 0) {
            Slot slot = into.buffers().get(key);
            // The rewrite fills a destination exactly when shape and type match: then the data is
            // in the buffer already.
            boolean filled = destination && slot != null && Arrays.equals(slot.shape(), shape);
            if (!filled) {
              if (slot == null || slot.bytes().capacity() != Math.multiplyExact(n, 4)) {
                slot =
                    new Slot(
                        ByteBuffer.allocateDirect(Math.multiplyExact(n, 4))
                            .order(ByteOrder.nativeOrder()),
                        shape);
              } else {
                slot = new Slot(slot.bytes(), shape);
              }
              into.buffers().put(key, slot);
              FloatBuffer target = slot.bytes().asFloatBuffer();
              target.put(a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer());
            }
            FloatBuffer target = slot.bytes().asFloatBuffer();
            if (into.scope() == null) {
              float[] f = new float[n];
              target.get(f);
              return Tensor.wrapFloats(DType.FLOAT32, shape, f);
            }
            // Record keys are module paths plus a dot; messages name the module.
            String name = key.endsWith(".") ? key.substring(0, key.length() - 1) : key;
            return Tensor.view(DType.FLOAT32, shape, target, into.scope(), name);
          }
          // A direct view of libtorch's memory, read once into the array; toFloatArray() would
          // first copy into a byte[] and then convert that.
          float[] f = new float[Math.toIntExact(a.size())];
          a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(f);
          return Tensor.wrapFloats(DType.FLOAT32, shape, f);
        }
      case FLOAT64:
      case FLOAT16:
      case BFLOAT16:
        {
          DType d =
              dt == DataType.FLOAT64
                  ? DType.FLOAT64
                  : dt == DataType.FLOAT16 ? DType.FLOAT16 : DType.BFLOAT16;
          try (NDArray f = a.toType(DataType.FLOAT32, true)) {
            return Tensor.wrapFloats(d, shape, f.toFloatArray());
          }
        }
      case BOOLEAN:
        {
          boolean[] b = a.toBooleanArray();
          long[] l = new long[b.length];
          for (int i = 0; i < b.length; i++) {
            l[i] = b[i] ? 1 : 0;
          }
          return Tensor.ofLongs(DType.BOOL, shape, l);
        }
      default:
        try (NDArray l = a.toType(DataType.INT64, true)) {
          return Tensor.ofLongs(DType.INT64, shape, l.toLongArray());
        }
    }
  }

  private static PtSymbolBlock closeQuietly(PtSymbolBlock block) {
    if (block != null) {
      try {
        block.close();
      } catch (RuntimeException e) {
        // A failed native release cannot be retried; the module is dropped either way.
      }
    }
    return null;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(source + ": the model view is closed");
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (AutoCloseable c : new AutoCloseable[] {tapped, plain, manager}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          // Keep closing the rest; a failed native release must not hide the others.
        }
      }
    }
    tapped = null;
    plain = null;
    manager = null;
    reuse.clear();
  }

  /**
   * libtorch's own reason: its message starts with "The following operation failed in the
   * TorchScript interpreter." and a traceback, and names the cause only on its last error line
   * ({@code RuntimeError: index out of range in self}).
   */
  static String cause(RuntimeException e) {
    String m = e.getMessage() == null ? "" : e.getMessage();
    String found = null;
    for (String line : m.split("\n")) {
      if (line.strip().matches("^[A-Za-z_.]*(Error|Exception): .*")) {
        found = line.strip();
      }
    }
    if (found == null) {
      return m.isBlank() ? e.getClass().getSimpleName() : m;
    }
    return found + " (libtorch: " + m.lines().findFirst().orElse("").strip() + ")";
  }
}
