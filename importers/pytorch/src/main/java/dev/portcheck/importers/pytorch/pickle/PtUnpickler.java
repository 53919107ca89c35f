package dev.portcheck.importers.pytorch.pickle;

import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.PortcheckException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restricted pickle reader for PyTorch checkpoints and TorchScript {@code data.pkl}. It
 * interprets the opcodes a checkpoint uses and builds inert values ({@link PtPickled}); it never
 * imports or calls anything. A {@code GLOBAL} outside a small allow-list of data constructors
 * (tensors, storages, OrderedDict, TorchScript classes) is refused before any {@code REDUCE} could
 * apply it, because in a real unpickler that is exactly how {@code os.system} gets called.
 */
public final class PtUnpickler {
  /** Resolves a persistent id (a tuple like {@code ('storage', FloatStorage, '0', 'cpu', 9)}). */
  @FunctionalInterface
  public interface PersistentLoader {
    Object load(Object pid);
  }

  private static final int MAX_MARK_DEPTH = 10_000;
  private static final int MAX_STACK = 50_000_000;
  private static final int MAX_MEMO = 50_000_000;

  private static final Set<String> CALLABLES =
      Set.of(
          "collections.OrderedDict",
          "torch._utils._rebuild_tensor",
          "torch._utils._rebuild_tensor_v2",
          "torch._utils._rebuild_parameter",
          "torch._utils._rebuild_parameter_with_state",
          "torch.Size",
          "torch.device",
          "torch.jit._pickle.restore_type_tag",
          "torch.jit._pickle.build_intlist",
          "torch.jit._pickle.build_doublelist",
          "torch.jit._pickle.build_boollist",
          "torch.jit._pickle.build_tensorlist");

  private static final Set<String> TORCH_DTYPES =
      Set.of(
          "float32",
          "float",
          "float64",
          "double",
          "float16",
          "half",
          "bfloat16",
          "int64",
          "long",
          "int32",
          "int",
          "int16",
          "int8",
          "uint8",
          "bool");

  private static final Object MARK = new Object();

  private final Path file;
  private final String entry;
  private final byte[] data;
  private final PersistentLoader persistent;
  private int pos;
  private final List<Object> stack = new ArrayList<>();
  private final List<Integer> marks = new ArrayList<>();
  private final Map<Long, Object> memo = new HashMap<>();

  /**
   * @param file the model file, for messages
   * @param entry the archive entry or part being read, for messages
   * @param data the bytes
   * @param start where the pickle starts in {@code data}
   * @param persistent resolves {@code BINPERSID}; {@code null} refuses persistent ids
   */
  public PtUnpickler(Path file, String entry, byte[] data, int start, PersistentLoader persistent) {
    this.file = file;
    this.entry = entry;
    this.data = data;
    this.pos = start;
    this.persistent = persistent;
  }

  /** Reads one pickle from {@code data} starting at {@code start}. */
  public static Object load(Path file, String entry, byte[] data, PersistentLoader persistent) {
    return new PtUnpickler(file, entry, data, 0, persistent).load();
  }

  /** Offset just past the STOP of the last {@link #load()}. */
  public int position() {
    return pos;
  }

  /** Interprets opcodes up to STOP and returns the result. */
  public Object load() {
    stack.clear();
    marks.clear();
    memo.clear();
    while (true) {
      int at = pos;
      int op = u8();
      switch (op) {
        case 0x80 -> u8(); // PROTO
        case 0x95 -> skip(8); // FRAME: framing is only a buffering hint
        case 0x2e -> { // STOP
          if (stack.isEmpty()) {
            throw corrupt("STOP with an empty stack at byte " + at);
          }
          return pop();
        }
        case 0x63 -> push(global(line(), line(), at)); // GLOBAL
        case 0x93 -> { // STACK_GLOBAL
          Object name = pop();
          Object module = pop();
          if (!(module instanceof String m) || !(name instanceof String n)) {
            throw corrupt("STACK_GLOBAL without two strings at byte " + at);
          }
          push(global(m, n, at));
        }
        case 0x71 -> memoPut(u8()); // BINPUT
        case 0x72 -> memoPut(u32()); // LONG_BINPUT
        case 0x94 -> memoPut(memo.size()); // MEMOIZE
        case 0x68 -> push(memoGet(u8(), at)); // BINGET
        case 0x6a -> push(memoGet(u32(), at)); // LONG_BINGET
        case 0x28 -> { // MARK
          if (marks.size() >= MAX_MARK_DEPTH) {
            throw corrupt("nesting deeper than " + MAX_MARK_DEPTH + " at byte " + at);
          }
          marks.add(stack.size());
          push(MARK);
        }
        case 0x30 -> pop(); // POP
        case 0x31 -> popMark(at); // POP_MARK
        case 0x32 -> push(peek()); // DUP
        case 0x7d -> push(PtPickled.newDict()); // EMPTY_DICT
        case 0x5d -> push(new ArrayList<>()); // EMPTY_LIST
        case 0x29 -> push(new PtPickled.Tuple(List.of())); // EMPTY_TUPLE
        case 0x74 -> push(new PtPickled.Tuple(popMark(at))); // TUPLE
        case 0x85 -> push(tupleOf(1)); // TUPLE1
        case 0x86 -> push(tupleOf(2)); // TUPLE2
        case 0x87 -> push(tupleOf(3)); // TUPLE3
        case 0x6c -> push(new ArrayList<>(popMark(at))); // LIST
        case 0x64 -> push(dictOf(popMark(at), at)); // DICT
        case 0x73 -> { // SETITEM
          Object v = pop();
          Object k = key(pop(), at);
          asDict(peek(), at).put(k, v);
        }
        case 0x75 -> { // SETITEMS
          List<Object> kv = popMark(at);
          Map<Object, Object> d = asDict(peek(), at);
          if (kv.size() % 2 != 0) {
            throw corrupt("SETITEMS with an odd item count at byte " + at);
          }
          for (int i = 0; i < kv.size(); i += 2) {
            d.put(key(kv.get(i), at), kv.get(i + 1));
          }
        }
        case 0x61 -> { // APPEND
          Object v = pop();
          asList(peek(), at).add(v);
        }
        case 0x65 -> { // APPENDS
          List<Object> items = popMark(at);
          asList(peek(), at).addAll(items);
        }
        case 0x4a -> push((long) i32()); // BININT
        case 0x4b -> push((long) u8()); // BININT1
        case 0x4d -> push((long) u16()); // BININT2
        case 0x8a -> push(longN(u8())); // LONG1
        case 0x8b -> push(longN(checkedLen(i32(), at))); // LONG4
        case 0x47 -> push(Double.longBitsToDouble(be64())); // BINFLOAT
        case 0x58 -> push(str(checkedLen(u32(), at))); // BINUNICODE
        case 0x8c -> push(str(u8())); // SHORT_BINUNICODE
        case 0x8d -> push(str(checkedLen(i64(), at))); // BINUNICODE8
        case 0x54 -> push(latin1(checkedLen(i32(), at))); // BINSTRING
        case 0x55 -> push(latin1(u8())); // SHORT_BINSTRING
        case 0x42 -> push(bytes(checkedLen(u32(), at))); // BINBYTES
        case 0x43 -> push(bytes(u8())); // SHORT_BINBYTES
        case 0x88 -> push(Boolean.TRUE); // NEWTRUE
        case 0x89 -> push(Boolean.FALSE); // NEWFALSE
        case 0x4e -> push(null); // NONE
        case 0x51 -> { // BINPERSID
          Object pid = pop();
          if (persistent == null) {
            throw corrupt("persistent id where none is expected at byte " + at);
          }
          push(persistent.load(pid));
        }
        case 0x52 -> { // REDUCE
          Object args = pop();
          Object fn = pop();
          push(reduce(fn, args, at));
        }
        case 0x81 -> { // NEWOBJ
          Object args = pop();
          Object cls = pop();
          push(newObj(cls, args, at));
        }
        case 0x62 -> { // BUILD
          Object state = pop();
          build(peek(), state, at);
        }
        default ->
            throw corrupt(
                String.format(
                    "pickle opcode 0x%02x at byte %d is not one a checkpoint uses", op, at));
      }
    }
  }

  private Object global(String module, String name, int at) {
    String q = module + "." + name;
    boolean ok =
        CALLABLES.contains(q)
            || module.equals("__torch__")
            || module.startsWith("__torch__.")
            || (module.equals("torch") && PtPickled.storageDType(name) != null)
            || q.equals("torch.storage.UntypedStorage")
            || (module.equals("torch") && TORCH_DTYPES.contains(name));
    if (!ok) {
      throw PortcheckException.unsafe(
          file,
          entry
              + " refuses global '"
              + q
              + "' at byte "
              + at
              + ": a checkpoint only needs tensors, storages and containers, and unpickling this"
              + " would import and call it");
    }
    return new PtPickled.Global(module, name);
  }

  private Object reduce(Object fn, Object args, int at) {
    if (!(fn instanceof PtPickled.Global g)) {
      throw corrupt("REDUCE on a non-callable at byte " + at);
    }
    if (!(args instanceof PtPickled.Tuple t)) {
      throw corrupt("REDUCE of " + g.qualified() + " without an argument tuple at byte " + at);
    }
    String q = g.qualified();
    switch (q) {
      case "collections.OrderedDict":
        return PtPickled.newDict();
      case "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2":
        return rebuildTensor(q, t, at);
      case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
        if (t.size() < 1 || !(t.get(0) instanceof PtPickled.TensorRef)) {
          throw corrupt(q + " without a tensor at byte " + at);
        }
        return t.get(0);
      case "torch.Size":
        return t.size() == 1 && t.get(0) instanceof PtPickled.Tuple inner ? inner : t;
      case "torch.device":
        return t.size() >= 1 ? PtPickled.brief(t.get(0)) : "cpu";
      default:
        if (q.startsWith("torch.jit._pickle.") && t.size() >= 1) {
          return t.get(0);
        }
        // Class globals (TorchScript classes, storages, dtypes) are data here, never callables.
        throw PortcheckException.unsafe(
            file, entry + " asks to call '" + q + "' at byte " + at + ", which is never allowed");
    }
  }

  private PtPickled.TensorRef rebuildTensor(String q, PtPickled.Tuple t, int at) {
    if (t.size() < 4
        || !(t.get(0) instanceof PtPickled.Storage storage)
        || !(t.get(1) instanceof Long offset)) {
      throw corrupt(q + " with unexpected arguments at byte " + at);
    }
    long[] shape = longs(t.get(2), q, at);
    long[] stride = longs(t.get(3), q, at);
    if (shape.length != stride.length) {
      throw corrupt(q + " with size and stride of different rank at byte " + at);
    }
    return new PtPickled.TensorRef(storage, offset, shape, stride);
  }

  private long[] longs(Object o, String q, int at) {
    List<Object> items;
    if (o instanceof PtPickled.Tuple tu) {
      items = tu.items();
    } else if (o instanceof List<?> l) {
      items = new ArrayList<>(l);
    } else {
      throw corrupt(q + " expects a tuple of ints at byte " + at);
    }
    long[] out = new long[items.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(items.get(i) instanceof Long v) || v < 0) {
        throw corrupt(q + " has a non-integer or negative size/stride at byte " + at);
      }
      out[i] = v;
    }
    return out;
  }

  private Object newObj(Object cls, Object args, int at) {
    if (cls instanceof PtPickled.Global g
        && (g.module().equals("__torch__") || g.module().startsWith("__torch__."))) {
      return new PtPickled.Obj(g.qualified());
    }
    String name = cls instanceof PtPickled.Global g ? g.qualified() : PtPickled.brief(cls);
    throw PortcheckException.unsafe(
        file, entry + " asks to instantiate '" + name + "' at byte " + at + ", which is refused");
  }

  private void build(Object target, Object state, int at) {
    if (target instanceof PtPickled.Obj o) {
      o.setState(state);
    } else if (target instanceof Map<?, ?>) {
      // OrderedDict state carries torch's `_metadata` (version per module): not parameters.
      return;
    } else if (target instanceof PtPickled.TensorRef) {
      return;
    } else {
      throw corrupt("BUILD on " + describe(target) + " at byte " + at);
    }
  }

  /**
   * The standard storage persistent id of both formats: {@code ('storage', <torch.XStorage>, key,
   * location, numel[, view_metadata])}.
   */
  public static PtPickled.Storage parseStoragePid(Path file, String entry, Object pid) {
    if (!(pid instanceof PtPickled.Tuple t)
        || t.size() < 5
        || !"storage".equals(t.get(0))
        || !(t.get(1) instanceof PtPickled.Global g)
        || !(t.get(2) instanceof String key)
        || !(t.get(4) instanceof Long numel)) {
      throw PortcheckException.corrupt(
          file, entry + ": unexpected persistent id " + PtPickled.brief(pid), null);
    }
    DType dt = PtPickled.storageDType(g.name());
    if (dt == null) {
      throw PortcheckException.corrupt(
          file, entry + ": unknown storage type " + g.qualified(), null);
    }
    if (t.size() > 5 && t.get(5) != null) {
      throw PortcheckException.corrupt(
          file, entry + ": storage views (pre-1.0 checkpoints) are not supported", null);
    }
    return new PtPickled.Storage(key, dt, g.name(), numel, PtPickled.brief(t.get(3)));
  }

  private PtPickled.Tuple tupleOf(int n) {
    if (stack.size() < n) {
      throw corrupt("stack underflow at byte " + (pos - 1));
    }
    List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
    for (int i = 0; i < n; i++) {
      pop();
    }
    return new PtPickled.Tuple(items);
  }

  private Map<Object, Object> dictOf(List<Object> kv, int at) {
    if (kv.size() % 2 != 0) {
      throw corrupt("DICT with an odd item count at byte " + at);
    }
    Map<Object, Object> d = PtPickled.newDict();
    for (int i = 0; i < kv.size(); i += 2) {
      d.put(key(kv.get(i), at), kv.get(i + 1));
    }
    return d;
  }

  /**
   * A dict key, refused unless Python could hash it: lists and dicts are unhashable there, and here
   * hashing one that contains itself (APPEND after DUP builds such a list) recurses forever.
   */
  private Object key(Object k, int at) {
    if (!hashable(k, 0)) {
      throw corrupt(
          "dict key "
              + PtPickled.brief(k)
              + " at byte "
              + at
              + " is a list, dict or deeply nested tuple, which Python cannot use as a key");
    }
    return k;
  }

  private static boolean hashable(Object k, int depth) {
    if (k instanceof PtPickled.Tuple t) {
      if (depth > 32) {
        return false;
      }
      for (Object o : t.items()) {
        if (!hashable(o, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    return !(k instanceof List<?>) && !(k instanceof Map<?, ?>) && !(k instanceof byte[]);
  }

  @SuppressWarnings("unchecked")
  private Map<Object, Object> asDict(Object o, int at) {
    if (o instanceof Map<?, ?> m) {
      return (Map<Object, Object>) m;
    }
    throw corrupt("SETITEM on " + describe(o) + " at byte " + at);
  }

  @SuppressWarnings("unchecked")
  private List<Object> asList(Object o, int at) {
    if (o instanceof ArrayList<?> l) {
      return (List<Object>) l;
    }
    throw corrupt("APPEND on " + describe(o) + " at byte " + at);
  }

  private static String describe(Object o) {
    return o == null ? "None" : o.getClass().getSimpleName();
  }

  private List<Object> popMark(int at) {
    if (marks.isEmpty()) {
      throw corrupt("missing MARK at byte " + at);
    }
    int m = marks.remove(marks.size() - 1);
    List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
    while (stack.size() > m) {
      stack.remove(stack.size() - 1);
    }
    return items;
  }

  private void push(Object o) {
    if (stack.size() >= MAX_STACK) {
      throw corrupt("more than " + MAX_STACK + " values on the pickle stack");
    }
    stack.add(o);
  }

  private Object pop() {
    if (stack.isEmpty()) {
      throw corrupt("stack underflow at byte " + (pos - 1));
    }
    Object o = stack.remove(stack.size() - 1);
    if (o == MARK) {
      throw corrupt("value expected but MARK found at byte " + (pos - 1));
    }
    return o;
  }

  private Object peek() {
    if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
      throw corrupt("value expected at byte " + (pos - 1));
    }
    return stack.get(stack.size() - 1);
  }

  private void memoPut(long idx) {
    if (memo.size() >= MAX_MEMO) {
      throw corrupt("memo larger than " + MAX_MEMO);
    }
    memo.put(idx, peek());
  }

  private Object memoGet(long idx, int at) {
    if (!memo.containsKey(idx)) {
      throw corrupt("memo key " + idx + " read before it was written at byte " + at);
    }
    return memo.get(idx);
  }

  private int checkedLen(long n, int at) {
    if (n < 0 || n > data.length - pos) {
      if (n >= 0 && n < Integer.MAX_VALUE) {
        throw truncated(at);
      }
      throw corrupt("length " + n + " out of range at byte " + at);
    }
    return (int) n;
  }

  private void need(int n) {
    if (pos + n > data.length || pos + n < pos) {
      throw truncated(pos);
    }
  }

  private int u8() {
    need(1);
    return data[pos++] & 0xff;
  }

  private int u16() {
    need(2);
    int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8;
    pos += 2;
    return v;
  }

  private int i32() {
    need(4);
    int v =
        (data[pos] & 0xff)
            | (data[pos + 1] & 0xff) << 8
            | (data[pos + 2] & 0xff) << 16
            | (data[pos + 3] & 0xff) << 24;
    pos += 4;
    return v;
  }

  private long u32() {
    return Integer.toUnsignedLong(i32());
  }

  private long i64() {
    long lo = u32();
    long hi = u32();
    return lo | hi << 32;
  }

  private long be64() {
    need(8);
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = v << 8 | (data[pos + i] & 0xff);
    }
    pos += 8;
    return v;
  }

  private void skip(int n) {
    need(n);
    pos += n;
  }

  private Object longN(int n) {
    need(n);
    if (n == 0) {
      return 0L;
    }
    byte[] be = new byte[n];
    for (int i = 0; i < n; i++) {
      be[i] = data[pos + n - 1 - i];
    }
    pos += n;
    BigInteger b = new BigInteger(be);
    return b.bitLength() < 64 ? (Object) b.longValue() : b;
  }

  private String str(int n) {
    need(n);
    String s = new String(data, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  private String latin1(int n) {
    need(n);
    String s = new String(data, pos, n, StandardCharsets.ISO_8859_1);
    pos += n;
    return s;
  }

  private byte[] bytes(int n) {
    need(n);
    byte[] b = java.util.Arrays.copyOfRange(data, pos, pos + n);
    pos += n;
    return b;
  }

  private String line() {
    int start = pos;
    while (true) {
      need(1);
      if (data[pos] == '\n') {
        String s = new String(data, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return s;
      }
      pos++;
      if (pos - start > 4096) {
        throw corrupt("GLOBAL name longer than 4096 bytes at byte " + start);
      }
    }
  }

  private PortcheckException corrupt(String detail) {
    return PortcheckException.corrupt(file, entry + ": " + detail, null);
  }

  private PortcheckException truncated(int at) {
    return PortcheckException.truncated(
        file, entry + " ends at byte " + data.length + " (reading at " + at + ") before its STOP");
  }
}
