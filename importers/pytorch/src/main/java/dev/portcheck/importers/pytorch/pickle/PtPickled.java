package dev.portcheck.importers.pytorch.pickle;

import dev.portcheck.importers.api.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The inert values {@link PtUnpickler} builds. Python ints are {@link Long}, floats {@link Double},
 * strings {@link String}, bools {@link Boolean}, None {@code null}, lists {@link ArrayList}, dicts
 * {@link LinkedHashMap}; everything else is one of the types here. Nothing here runs code.
 */
public final class PtPickled {
  private PtPickled() {}

  /** A reference to an allow-listed global ({@code module.name}), never resolved to code. */
  public record Global(String module, String name) {
    /** {@code module.name}. */
    public String qualified() {
      return module + "." + name;
    }
  }

  /** A tuple. */
  public record Tuple(List<Object> items) {
    public Tuple {
      items = java.util.Collections.unmodifiableList(new ArrayList<>(items));
    }

    public Object get(int i) {
      return items.get(i);
    }

    public int size() {
      return items.size();
    }
  }

  /**
   * An instance of a TorchScript class ({@code __torch__.<Module>}) or another allow-listed class:
   * a class name and the state {@code BUILD} gave it. Never executed.
   */
  public static final class Obj {
    private final String className;
    private Object state;

    Obj(String className) {
      this.className = className;
    }

    public String className() {
      return className;
    }

    /** The BUILD state; for TorchScript modules a dict of attribute name to value. */
    public Object state() {
      return state;
    }

    void setState(Object s) {
      this.state = s;
    }

    /** The state as an attribute map (empty if the state is not a dict). */
    @SuppressWarnings("unchecked")
    public Map<Object, Object> attributes() {
      return state instanceof Map<?, ?> m ? (Map<Object, Object>) m : Map.of();
    }

    @Override
    public String toString() {
      return "Obj[" + className + "]";
    }
  }

  /** A storage named by a persistent id: its archive key, element type and element count. */
  public record Storage(String key, DType dtype, String typeName, long numel, String location) {}

  /** A tensor view onto a storage (what {@code torch._utils._rebuild_tensor_v2} describes). */
  public record TensorRef(Storage storage, long offset, long[] shape, long[] stride) {
    public TensorRef {
      shape = shape.clone();
      stride = stride.clone();
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    @Override
    public long[] stride() {
      return stride.clone();
    }

    public DType dtype() {
      return storage.dtype();
    }

    /** Shape as a list, for {@code ParameterInfo}. */
    public List<Long> shapeList() {
      return Arrays.stream(shape).boxed().toList();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TensorRef t
          && storage.equals(t.storage)
          && offset == t.offset
          && Arrays.equals(shape, t.shape)
          && Arrays.equals(stride, t.stride);
    }

    @Override
    public int hashCode() {
      return storage.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
      return "TensorRef[" + storage.key() + " " + dtype() + " " + Arrays.toString(shape) + "]";
    }
  }

  /** Element type of a {@code torch.<X>Storage} class name, or {@code null} if unknown. */
  public static DType storageDType(String name) {
    return switch (name) {
      case "FloatStorage" -> DType.FLOAT32;
      case "DoubleStorage" -> DType.FLOAT64;
      case "HalfStorage" -> DType.FLOAT16;
      case "BFloat16Storage" -> DType.BFLOAT16;
      case "LongStorage" -> DType.INT64;
      case "IntStorage" -> DType.INT32;
      case "ShortStorage" -> DType.INT16;
      case "CharStorage" -> DType.INT8;
      case "ByteStorage", "UntypedStorage" -> DType.UINT8;
      case "BoolStorage" -> DType.BOOL;
      default -> null;
    };
  }

  /**
   * A short rendering of an unpickled value for messages: bounded in depth and length, because a
   * hostile pickle can build lists that contain themselves, where {@code toString} never ends.
   */
  public static String brief(Object o) {
    StringBuilder sb = new StringBuilder();
    brief(o, sb, 0);
    return sb.length() > 120 ? sb.substring(0, 117) + "..." : sb.toString();
  }

  private static void brief(Object o, StringBuilder sb, int depth) {
    if (sb.length() > 120) {
      return;
    }
    if (depth > 3) {
      sb.append("...");
    } else if (o instanceof Tuple t) {
      sb.append('(');
      items(t.items(), sb, depth);
      sb.append(')');
    } else if (o instanceof List<?> l) {
      sb.append('[');
      items(l, sb, depth);
      sb.append(']');
    } else if (o instanceof Map<?, ?> m) {
      sb.append("{dict of ").append(m.size()).append('}');
    } else if (o instanceof String s) {
      sb.append('\'').append(s.length() > 60 ? s.substring(0, 57) + "..." : s).append('\'');
    } else if (o instanceof byte[] b) {
      sb.append("bytes[").append(b.length).append(']');
    } else {
      sb.append(o);
    }
  }

  private static void items(List<?> items, StringBuilder sb, int depth) {
    for (int i = 0; i < items.size() && sb.length() <= 120; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      brief(items.get(i), sb, depth + 1);
    }
  }

  static Map<Object, Object> newDict() {
    return new LinkedHashMap<>();
  }
}
