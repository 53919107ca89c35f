package dev.portcheck.comparator.probe;

import dev.portcheck.comparator.report.LayoutConversion;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.comparator.report.ProbeReport;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.InputLimits;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.Npy;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Builds identical probe inputs for every model. Inputs are matched by position because names
 * differ between exports ({@code input}, {@code x}, {@code inputs}). A shape comes from an explicit
 * override, else from the first model that declares it statically (TorchScript declares none). The
 * probe is generated in the reference model's layout and transposed for models whose 4-D input is
 * channels-last where the reference is channels-first (or the reverse), and that conversion is
 * recorded.
 */
public final class Probes {
  /** The probe whose values {@link #generated} holds, by slot; -1 before the first. */
  private int generatedFor = -1;

  private final Map<Slot, Tensor> generated = new java.util.IdentityHashMap<>();

  private static final int[] NCHW_TO_NHWC = {0, 2, 3, 1};
  private static final int[] NHWC_TO_NCHW = {0, 3, 1, 2};

  private final List<Slot> slots;
  private final List<Probe> probes;
  private final int modelCount;

  private Probes(List<Slot> slots, List<Probe> probes, int modelCount) {
    this.slots = slots;
    this.probes = probes;
    this.modelCount = modelCount;
  }

  /**
   * One probe input across models.
   *
   * @param names by model, null for a model that does not take it (an input given per model)
   * @param keys the names a probe, {@code --shape} or {@code --value} may use for it
   * @param ref the model whose layout the probe is generated in (the first that takes it)
   * @param role what an integer input holds, which decides the values it gets
   * @param bound ids are drawn below this (rows of the embedding table the input indexes), or null
   */
  private record Slot(
      int position,
      List<String> names,
      List<String> keys,
      int ref,
      Layout refLayout,
      long[] shape,
      DType dtype,
      Long integerValue,
      List<int[]> perms,
      List<Layout> layouts,
      List<DType> declared,
      IntRole role,
      Long bound) {

    /** The input's name in its reference model, with that model, for messages. */
    String label() {
      return names.get(ref);
    }
  }

  /** What an integer input holds, read from its name and from the layer that consumes it. */
  private enum IntRole {
    /** An attention mask: every position attended (ones) unless a sample says otherwise. */
    MASK,
    /** Segment ids: all zeros (the first segment) for random probes. */
    TOKEN_TYPE,
    /** Ids into an embedding table: seeded ids below the table's row count. */
    IDS,
    /** Anything else (a sample rate, a step): needs --value or a sample. */
    OTHER
  }

  /**
   * Resolves shapes, dtypes and layouts of every input position.
   *
   * @throws PortcheckException USAGE when the models' inputs cannot be matched, or an input's shape
   *     is declared by no model and not given
   */
  public static Probes prepare(List<ModelView> models, ProbeSettings options) {
    return prepare(models, options, options.probes());
  }

  /** As {@link #prepare(List, ProbeSettings)}, with other probes than {@code options.probes()}. */
  public static Probes prepare(List<ModelView> models, ProbeSettings options, List<Probe> probes) {
    Set<String> perModel = InputMatching.perModelKeys(options, options.probes());
    perModel.addAll(InputMatching.perModelKeys(options, probes));
    List<InputMatching.Match> matches = InputMatching.match(models, perModel);
    List<Slot> slots = new ArrayList<>();
    for (int p = 0; p < matches.size(); p++) {
      slots.add(slot(models, p, matches.get(p), options));
    }
    slots = withSequenceShapes(slots, matches);
    Probes prepared = new Probes(List.copyOf(slots), List.copyOf(probes), models.size());
    // Samples are read once here so that one that does not fit is refused before any model runs.
    for (Probe probe : probes) {
      for (Slot s : slots) {
        ProbeSpec spec = probe.specFor(s.position(), s.keys());
        if (spec instanceof ProbeSpec.NpyFile || spec instanceof ProbeSpec.NpyBytes) {
          prepared.generate(probe, s);
        }
      }
    }
    return prepared;
  }

  private static Slot slot(
      List<ModelView> models, int p, InputMatching.Match match, ProbeSettings options) {
    List<String> names = new ArrayList<>();
    List<TensorInfo> infos = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      infos.add(match.inputs().get(m));
      names.add(match.name(m));
    }
    List<String> keys = match.keys();
    int ref = match.firstModel();
    long[] shape = null;
    Layout refLayout = layoutOf(models.get(ref), infos.get(ref), 4);
    for (String key : keys) {
      List<Long> given = options.shapes().get(key);
      if (given != null && shape == null) {
        long[] s = given.stream().mapToLong(Long::longValue).toArray();
        int owner = ref;
        for (int m = 0; m < models.size(); m++) {
          if (key.equals(names.get(m))) {
            owner = m;
            break;
          }
        }
        shape = convertShape(s, layoutOf(models.get(owner), infos.get(owner), s.length), refLayout);
      }
    }
    if (shape == null && options.shapes().containsKey(Integer.toString(p))) {
      shape =
          options.shapes().get(Integer.toString(p)).stream().mapToLong(Long::longValue).toArray();
    }
    for (int m = 0; m < models.size() && shape == null; m++) {
      long[] s = infos.get(m) == null ? null : staticShape(infos.get(m));
      if (s != null) {
        shape = convertShape(s, layoutOf(models.get(m), infos.get(m), s.length), refLayout);
      }
    }
    // An integer type declared by any model wins: TorchScript declares every tensor as float.
    DType dtype = null;
    for (TensorInfo ti : infos) {
      if (ti != null && isInteger(ti.dtype()) && dtype == null) {
        dtype = ti.dtype();
      }
    }
    for (TensorInfo ti : infos) {
      if (ti != null && dtype == null && ti.dtype() != DType.OTHER && ti.dtype() != DType.STRING) {
        dtype = ti.dtype();
      }
    }
    dtype = dtype == null ? DType.FLOAT32 : dtype;
    Long intValue = null;
    for (String n : keys) {
      intValue = intValue != null ? intValue : options.integerValues().get(n);
    }
    if (intValue == null && match.perModel() < 0) {
      intValue = options.integerValues().get(Integer.toString(p));
    }
    int rank = shape != null ? shape.length : -1;
    if (rank != 4) {
      refLayout =
          refLayout == Layout.NHWC || refLayout == Layout.NCHW ? Layout.UNSPECIFIED : refLayout;
    }
    List<int[]> perms = new ArrayList<>();
    List<Layout> layouts = new ArrayList<>();
    List<DType> declared = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      if (infos.get(m) == null) {
        layouts.add(null);
        perms.add(null);
        declared.add(null);
        continue;
      }
      Layout l = layoutOf(models.get(m), infos.get(m), rank);
      layouts.add(l);
      perms.add(rank == 4 ? permutation(refLayout, l) : null);
      // An importer whose declared types do not bind (TorchScript's float for every input) lets
      // the probe keep its type; others are strict.
      declared.add(models.get(m).declaresInputTypes() ? infos.get(m).dtype() : null);
    }
    IntRole role = IntRole.OTHER;
    Long bound = null;
    if (isInteger(dtype)) {
      role = roleOf(names);
      bound = EmbeddingTables.rowsIndexedBy(models, names, role == IntRole.IDS);
      if (role == IntRole.OTHER && bound != null) {
        role = IntRole.IDS;
      }
    }
    return new Slot(
        p,
        Collections.unmodifiableList(names),
        keys,
        ref,
        refLayout,
        shape,
        dtype,
        intValue,
        perms,
        layouts,
        Collections.unmodifiableList(declared),
        role,
        bound);
  }

  /** Token sequence length fed when no model declares one and none is given. */
  static final long DEFAULT_SEQUENCE_LENGTH = 8;

  /**
   * Token inputs (ids, masks, token types) of rank 2 whose length no model declares (TorchScript, a
   * TF signature's {@code [-1, -1]}) take the shape of another token input that has one (the mask
   * follows the ids given with {@code --shape} or a sample), else {@code [1, 8]}: every position
   * table holds at least that many rows, and the length is not part of the model.
   */
  private static List<Slot> withSequenceShapes(
      List<Slot> slots, List<InputMatching.Match> matches) {
    long[] known = null;
    for (Slot s : slots) {
      if (s.role() != IntRole.OTHER && s.shape() != null && s.shape().length == 2) {
        known = known == null ? s.shape() : known;
      }
    }
    List<Slot> out = new ArrayList<>();
    for (int i = 0; i < slots.size(); i++) {
      Slot s = slots.get(i);
      boolean rank2 =
          matches.get(i).inputs().stream()
              .anyMatch(t -> t != null && t.shape() != null && t.shape().size() == 2);
      if (s.shape() == null && s.role() != IntRole.OTHER && rank2) {
        long[] shape = known != null ? known : new long[] {1, DEFAULT_SEQUENCE_LENGTH};
        s =
            new Slot(
                s.position(),
                s.names(),
                s.keys(),
                s.ref(),
                s.refLayout(),
                shape,
                s.dtype(),
                s.integerValue(),
                s.perms(),
                s.layouts(),
                s.declared(),
                s.role(),
                s.bound());
      }
      out.add(s);
    }
    return List.copyOf(out);
  }

  private static boolean isInteger(DType d) {
    return d == DType.INT64
        || d == DType.INT32
        || d == DType.INT16
        || d == DType.INT8
        || d == DType.UINT8;
  }

  /** The role an integer input's names suggest (Hugging Face's names are the common ones). */
  private static IntRole roleOf(List<String> names) {
    for (String n : names) {
      String l = n == null ? "" : n.toLowerCase(Locale.ROOT);
      if (l.contains("mask")) {
        return IntRole.MASK;
      }
      if (l.contains("token_type") || l.contains("segment")) {
        return IntRole.TOKEN_TYPE;
      }
    }
    for (String n : names) {
      String l = n == null ? "" : n.toLowerCase(Locale.ROOT);
      if (l.contains("ids") || l.contains("token") || l.equals("input")) {
        return IntRole.IDS;
      }
    }
    return IntRole.OTHER;
  }

  /** Declared layout, or the importer's convention for an undeclared 4-D input. */
  private static Layout layoutOf(ModelView model, TensorInfo info, int rank) {
    return model.inputLayout(info, info.shape() != null ? info.shape().size() : rank);
  }

  private static int[] permutation(Layout from, Layout to) {
    if (from == Layout.NCHW && to == Layout.NHWC) {
      return NCHW_TO_NHWC;
    }
    if (from == Layout.NHWC && to == Layout.NCHW) {
      return NHWC_TO_NCHW;
    }
    return null;
  }

  private static long[] convertShape(long[] s, Layout from, Layout to) {
    int[] perm = s.length == 4 ? permutation(from, to) : null;
    if (perm == null) {
      return s;
    }
    long[] out = new long[4];
    for (int i = 0; i < 4; i++) {
      out[i] = s[perm[i]];
    }
    return out;
  }

  /**
   * The declared shape with a dynamic batch read as 1, or null when another dim is dynamic too. A
   * single dynamic axis is the batch wherever it is: an LSTM state is {@code [layers, batch,
   * hidden]}.
   */
  private static long[] staticShape(TensorInfo ti) {
    long[] s = ti.shapeArray();
    if (s == null || s.length == 0) {
      return s;
    }
    s = s.clone();
    long dynamic = Arrays.stream(s).filter(d -> d < 0).count();
    if (s[0] < 0 || dynamic == 1) {
      for (int i = 0; i < s.length; i++) {
        if (s[i] < 0 && (i == 0 || dynamic == 1)) {
          s[i] = 1;
          break;
        }
      }
    }
    for (long d : s) {
      if (d < 0) {
        return null;
      }
    }
    return s;
  }

  /** Number of probes. */
  public int probeCount() {
    return probes.size();
  }

  /** The inputs of probe {@code probe} for model {@code model}, by that model's input names. */
  public synchronized Map<String, Tensor> inputs(int probe, int model) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    if (probe != generatedFor) {
      generated.clear();
      generatedFor = probe;
    }
    for (Slot s : slots) {
      String name = s.names().get(model);
      if (name == null) {
        continue;
      }
      // Every model of a probe is fed the same values: made (or read) once per probe, not once
      // per model (a ResNet-50 input is 150 k Gaussian draws, a .npy file a read).
      Tensor t = generated.computeIfAbsent(s, k -> generate(probes.get(probe), k));
      int[] perm = s.perms().get(model);
      if (perm != null && t.rank() == 4) {
        t = t.transpose(perm);
      }
      out.put(name, converted(t, s.declared().get(model)));
    }
    return out;
  }

  /**
   * {@code t} in the type a strict engine declares (ONNX's int64 mask where TorchScript took the
   * same ones as float); values are integral wherever an integer type is involved.
   */
  private static Tensor converted(Tensor t, DType declared) {
    if (declared == null
        || declared == t.dtype()
        || declared == DType.OTHER
        || declared == DType.STRING) {
      return t;
    }
    if (declared.isFloating()) {
      return t.dtype().isFloating() ? t : Tensor.wrapFloats(declared, t.shape(), t.toFloatArray());
    }
    long[] v = t.toLongArray();
    return Tensor.ofLongs(declared, t.shape(), v);
  }

  /** What was fed, for the report. */
  public List<ProbeReport> reports() {
    List<ProbeReport> out = new ArrayList<>();
    for (Probe probe : probes) {
      List<ProbeReport.Input> inputs = new ArrayList<>();
      List<LayoutConversion> conv = new ArrayList<>();
      for (Slot s : slots) {
        Map<String, String> names = new LinkedHashMap<>();
        for (int m = 0; m < modelCount; m++) {
          if (s.names().get(m) == null) {
            continue;
          }
          names.put(ModelRef.idOf(m), s.names().get(m));
          int[] perm = s.perms().get(m);
          if (perm != null) {
            conv.add(
                new LayoutConversion(
                    ModelRef.idOf(m),
                    s.names().get(m),
                    s.refLayout().name(),
                    s.layouts().get(m).name(),
                    Arrays.stream(perm).boxed().toList()));
          }
        }
        ProbeSpec spec = probe.specFor(s.position(), s.keys());
        long[] shape = s.shape();
        DType fed = s.dtype();
        if (spec instanceof ProbeSpec.NpyFile || spec instanceof ProbeSpec.NpyBytes) {
          Tensor sample = generate(probe, s);
          shape = sample.shape();
          fed = sample.dtype();
        }
        List<Long> shapeList = shape == null ? List.of() : Arrays.stream(shape).boxed().toList();
        inputs.add(
            new ProbeReport.Input(
                s.position(),
                names,
                shapeList,
                s.refLayout().name(),
                fed.name(),
                specText(spec, s)));
      }
      out.add(new ProbeReport(probe.label(), inputs, conv));
    }
    return List.copyOf(out);
  }

  /** How an input was filled, in {@link ProbeSpec#parse}'s words where it can say it. */
  private static String specText(ProbeSpec spec, Slot s) {
    if (s.dtype().isFloating()
        || spec instanceof ProbeSpec.NpyFile
        || spec instanceof ProbeSpec.NpyBytes) {
      return spec.describe();
    }
    if (s.integerValue() != null) {
      return "value:" + s.integerValue();
    }
    if (spec instanceof ProbeSpec.Random r) {
      return switch (s.role()) {
        case MASK -> "ones (attention mask)";
        case TOKEN_TYPE -> "zeros (token types)";
        default ->
            s.bound() == null ? spec.describe() : r.describe() + " (ids below " + s.bound() + ")";
      };
    }
    return spec.describe();
  }

  private Tensor generate(Probe probe, Slot s) {
    ProbeSpec spec = probe.specFor(s.position(), s.keys());
    if (spec instanceof ProbeSpec.NpyFile f) {
      return fitted(f.path(), Npy.read(f.path()), s);
    }
    if (spec instanceof ProbeSpec.NpyBytes b) {
      Path source = Path.of(b.source());
      return fitted(source, Npy.parse(source, b.npy()), s);
    }
    if (s.shape() == null) {
      throw PortcheckException.usage(
          "no model declares the shape of input '"
              + String.join("' / '", s.names().stream().filter(n -> n != null).toList())
              + "' (position "
              + s.position()
              + "); give it with --shape "
              + s.keys().get(0)
              + "=1,3,224,224 (in that model's layout).");
    }
    if (!s.dtype().isFloating()) {
      return integers(spec, s);
    }
    if (spec instanceof ProbeSpec.Ones) {
      return Tensor.filled(s.shape(), 1f);
    }
    if (spec instanceof ProbeSpec.Zeros) {
      return Tensor.filled(s.shape(), 0f);
    }
    ProbeSpec.Random r = (ProbeSpec.Random) spec;
    // One stream per input position so that two inputs never get the same values.
    Random rng = new Random(r.seed() + s.position());
    float[] data = new float[feedable(s)];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) rng.nextGaussian();
    }
    return Tensor.wrapFloats(DType.FLOAT32, s.shape(), data);
  }

  /**
   * An integer input's values: a given value, or values valid for what the input holds. Token ids
   * stay below the rows of the embedding table they index (an id out of range is an engine error,
   * or worse, silently clamped by one engine and not the other); masks attend everywhere; segment
   * ids stay in the first segment.
   */
  private static Tensor integers(ProbeSpec spec, Slot s) {
    long[] data = new long[feedable(s)];
    long limit = s.bound() == null ? Long.MAX_VALUE : s.bound();
    if (s.integerValue() != null) {
      Arrays.fill(data, s.integerValue());
    } else if (spec instanceof ProbeSpec.Ones) {
      Arrays.fill(data, s.role() == IntRole.TOKEN_TYPE ? Math.min(1, limit - 1) : 1);
    } else if (spec instanceof ProbeSpec.Zeros) {
      Arrays.fill(data, 0);
    } else if (s.role() == IntRole.MASK) {
      Arrays.fill(data, 1);
    } else if (s.role() == IntRole.TOKEN_TYPE) {
      Arrays.fill(data, 0);
    } else if (s.bound() != null) {
      ProbeSpec.Random r = (ProbeSpec.Random) spec;
      Random rng = new Random(r.seed() + s.position());
      for (int i = 0; i < data.length; i++) {
        data[i] = rng.nextInt((int) Math.min(Integer.MAX_VALUE, s.bound()));
      }
    } else {
      throw PortcheckException.usage(
          "input '"
              + s.label()
              + "' is "
              + s.dtype()
              + " and indexes no embedding table portcheck can see, so random values would be"
              + " guesses; give its value with --value "
              + s.keys().get(0)
              + "=N, or a sample with --input "
              + s.keys().get(0)
              + "=FILE.npy.");
    }
    return Tensor.ofLongs(s.dtype(), s.shape(), data);
  }

  /**
   * The sample {@code t} read from {@code file} as input {@code s} takes it. Its shape must be the
   * input's, up to axes of size 1 (a sample saved without its batch axis): a sample that fits only
   * by reordering its axes was saved in another layout, and one that fits only by its count would
   * be fed as noise, so both are refused rather than reshaped.
   */
  private static Tensor fitted(Path file, Tensor t, Slot s) {
    long[] want = s.shape();
    if (want == null || Arrays.equals(t.shape(), want)) {
      return t;
    }
    if (Arrays.equals(withoutUnitAxes(t.shape()), withoutUnitAxes(want))) {
      return t.reshape(want);
    }
    throw misfit(file, t.shape(), s);
  }

  /**
   * A sample that does not fit its input, refused (BAD_INPUT) with what would fit it: the
   * transposition when its axes are the input's in another order, else the input's shape.
   */
  private static PortcheckException misfit(Path file, long[] shape, Slot s) {
    long[] want = s.shape();
    int[] perm = transposition(shape, want);
    String refLayout = s.refLayout() == Layout.UNSPECIFIED ? "" : " (" + s.refLayout() + ")";
    String guess = "";
    if (perm != null && perm.length == 4 && want.length == 4) {
      if (s.refLayout() == Layout.NCHW && Arrays.equals(perm, NHWC_TO_NCHW)) {
        guess = " (NHWC?)";
      } else if (s.refLayout() == Layout.NHWC && Arrays.equals(perm, NCHW_TO_NHWC)) {
        guess = " (NCHW?)";
      }
    }
    StringBuilder m =
        new StringBuilder("probe ")
            .append(file)
            .append(" has shape ")
            .append(Arrays.toString(shape))
            .append(guess)
            .append(" but input '")
            .append(s.label())
            .append("' of m")
            .append(s.ref())
            .append(refLayout)
            .append(" takes ")
            .append(Arrays.toString(want));
    if (perm != null) {
      m.append(": save it transposed (np.transpose(a, ").append(tuple(perm)).append(")");
      if (shape.length != want.length) {
        m.append(".reshape").append(tuple(want));
      }
      m.append(") or pass it in the model's layout.");
    } else if (Tensor.elementCount(shape) == Tensor.elementCount(want)) {
      m.append(
          ": it holds as many values but in another arrangement, and reshaping it would feed"
              + " noise; save the sample with the input's shape.");
    } else {
      m.append(
          ": it holds "
              + Tensor.elementCount(shape)
              + " values where the input takes "
              + Tensor.elementCount(want)
              + "; save a sample of that shape.");
    }
    return PortcheckException.of(PortcheckException.Reason.BAD_INPUT, m.toString(), null);
  }

  /**
   * The axes of {@code from} in the order that gives {@code to} (after dropping or adding axes of
   * size 1), or null when no order does. Axes of equal size keep their order, the likeliest reading
   * ({@code [1, 28, 28, 3]} to {@code [1, 3, 28, 28]} is {@code (0, 3, 1, 2)}). When the ranks
   * differ, {@code from}'s unit axes come first and a reshape to {@code to} follows.
   */
  private static int[] transposition(long[] from, long[] to) {
    boolean sameRank = from.length == to.length;
    List<Integer> order = new ArrayList<>();
    boolean[] used = new boolean[from.length];
    if (!sameRank) {
      for (int j = 0; j < from.length; j++) {
        if (from[j] == 1) {
          order.add(j);
          used[j] = true;
        }
      }
    }
    for (long size : to) {
      if (!sameRank && size == 1) {
        continue;
      }
      int found = -1;
      for (int j = 0; j < from.length && found < 0; j++) {
        if (!used[j] && from[j] == size) {
          found = j;
        }
      }
      if (found < 0) {
        return null;
      }
      used[found] = true;
      order.add(found);
    }
    if (order.size() != from.length) {
      return null;
    }
    int[] perm = order.stream().mapToInt(Integer::intValue).toArray();
    boolean identity = true;
    for (int i = 0; i < perm.length; i++) {
      identity &= perm[i] == i;
    }
    // The identity means only unit axes differ, which needs no transposition.
    return identity ? null : perm;
  }

  private static long[] withoutUnitAxes(long[] shape) {
    return Arrays.stream(shape).filter(d -> d != 1).toArray();
  }

  /** Python's tuple notation: {@code (0, 3, 1, 2)}, {@code (5,)}. */
  private static String tuple(int[] values) {
    return tuple(Arrays.stream(values).asLongStream().toArray());
  }

  private static String tuple(long[] values) {
    String inner = Arrays.toString(values);
    inner = inner.substring(1, inner.length() - 1);
    return "(" + inner + (values.length == 1 ? ",)" : ")");
  }

  /** The element count of an input, refused cleanly when no engine could take it. */
  private static int feedable(Slot s) {
    long n = Tensor.elementCount(s.shape());
    if (n > InputLimits.MAX_INPUT_ELEMENTS) {
      throw PortcheckException.usage(
          "input '"
              + s.label()
              + "' would hold "
              + n
              + " elements ("
              + Arrays.toString(s.shape())
              + "), more than the "
              + InputLimits.MAX_INPUT_ELEMENTS
              + " portcheck feeds; give a smaller shape with --shape.");
    }
    return (int) n;
  }
}
