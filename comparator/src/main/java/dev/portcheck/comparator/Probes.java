package dev.portcheck.comparator;

import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Framework;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Builds identical probe inputs for every model. Inputs are matched by position because names
 * differ between exports ({@code input}, {@code x}, {@code inputs}). A shape comes from an explicit
 * override, else from the first model that declares it statically (TorchScript declares none). The
 * probe is generated in the reference model's layout and transposed for models whose 4-D input is
 * channels-last where the reference is channels-first (or the reverse), and that conversion is
 * recorded.
 */
public final class Probes {
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

  /** One input position across models. */
  private record Slot(
      int position,
      List<String> names,
      Layout refLayout,
      long[] shape,
      DType dtype,
      Long integerValue,
      List<int[]> perms,
      List<Layout> layouts) {}

  /**
   * Resolves shapes, dtypes and layouts of every input position.
   *
   * @throws PortcheckException USAGE when models take different numbers of inputs, or an input's
   *     shape is declared by no model and not given
   */
  public static Probes prepare(List<ModelView> models, CompareOptions options) {
    return prepare(models, options, options.probes());
  }

  /** As {@link #prepare(List, CompareOptions)}, with other probes than {@code options.probes()}. */
  static Probes prepare(List<ModelView> models, CompareOptions options, List<Probe> probes) {
    int count = models.get(0).inputs().size();
    for (int m = 1; m < models.size(); m++) {
      int c = models.get(m).inputs().size();
      if (c != count) {
        throw PortcheckException.usage(
            models.get(m).source()
                + " takes "
                + c
                + " input(s) but "
                + models.get(0).source()
                + " takes "
                + count
                + "; inputs are matched by position, so the models must take the same inputs.");
      }
    }
    List<Slot> slots = new ArrayList<>();
    for (int p = 0; p < count; p++) {
      slots.add(slot(models, p, options));
    }
    Probes prepared = new Probes(List.copyOf(slots), List.copyOf(probes), models.size());
    // Samples are read once here so that one that does not fit is refused before any model runs.
    for (Probe probe : probes) {
      for (Slot s : slots) {
        if (probe.specFor(s.position(), s.names()) instanceof ProbeSpec.NpyFile
            || probe.specFor(s.position(), s.names()) instanceof ProbeSpec.NpyBytes) {
          prepared.generate(probe, s);
        }
      }
    }
    return prepared;
  }

  private static Slot slot(List<ModelView> models, int p, CompareOptions options) {
    List<String> names = new ArrayList<>();
    List<TensorInfo> infos = new ArrayList<>();
    for (ModelView m : models) {
      TensorInfo ti = m.inputs().get(p);
      infos.add(ti);
      names.add(ti.name());
    }
    long[] shape = null;
    Layout refLayout = layoutOf(models.get(0), infos.get(0), 4);
    for (int m = 0; m < models.size() && shape == null; m++) {
      List<Long> given = options.shapes().get(names.get(m));
      if (given != null) {
        long[] s = given.stream().mapToLong(Long::longValue).toArray();
        shape = convertShape(s, layoutOf(models.get(m), infos.get(m), s.length), refLayout);
      }
    }
    if (shape == null && options.shapes().containsKey(Integer.toString(p))) {
      shape =
          options.shapes().get(Integer.toString(p)).stream().mapToLong(Long::longValue).toArray();
    }
    for (int m = 0; m < models.size() && shape == null; m++) {
      long[] s = staticShape(infos.get(m));
      if (s != null) {
        shape = convertShape(s, layoutOf(models.get(m), infos.get(m), s.length), refLayout);
      }
    }
    DType dtype = DType.FLOAT32;
    for (TensorInfo ti : infos) {
      if (ti.dtype() != DType.OTHER && ti.dtype() != DType.STRING) {
        dtype = ti.dtype();
        break;
      }
    }
    Long intValue = null;
    for (String n : names) {
      intValue = intValue != null ? intValue : options.integerValues().get(n);
    }
    if (intValue == null) {
      intValue = options.integerValues().get(Integer.toString(p));
    }
    int rank = shape != null ? shape.length : -1;
    if (rank != 4) {
      refLayout =
          refLayout == Layout.NHWC || refLayout == Layout.NCHW ? Layout.UNSPECIFIED : refLayout;
    }
    List<int[]> perms = new ArrayList<>();
    List<Layout> layouts = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      Layout l = layoutOf(models.get(m), infos.get(m), rank);
      layouts.add(l);
      perms.add(rank == 4 ? permutation(refLayout, l) : null);
    }
    return new Slot(p, List.copyOf(names), refLayout, shape, dtype, intValue, perms, layouts);
  }

  /** Declared layout, or the framework's convention for an undeclared 4-D input. */
  private static Layout layoutOf(ModelView model, TensorInfo info, int rank) {
    if (info.layout() != Layout.UNSPECIFIED) {
      return info.layout();
    }
    int r = info.shape() != null ? info.shape().size() : rank;
    if (r != 4) {
      return Layout.UNSPECIFIED;
    }
    return model.framework() == Framework.TENSORFLOW ? Layout.NHWC : Layout.NCHW;
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

  /** The declared shape with a dynamic batch read as 1, or null when another dim is dynamic. */
  private static long[] staticShape(TensorInfo ti) {
    long[] s = ti.shapeArray();
    if (s == null || s.length == 0) {
      return s;
    }
    s = s.clone();
    if (s[0] < 0) {
      s[0] = 1;
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
  public Map<String, Tensor> inputs(int probe, int model) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Slot s : slots) {
      Tensor t = generate(probes.get(probe), s);
      int[] perm = s.perms().get(model);
      if (perm != null && t.rank() == 4) {
        t = t.transpose(perm);
      }
      out.put(s.names().get(model), t);
    }
    return out;
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
        ProbeSpec spec = probe.specFor(s.position(), s.names());
        long[] shape = s.shape();
        if (spec instanceof ProbeSpec.NpyFile || spec instanceof ProbeSpec.NpyBytes) {
          shape = generate(probe, s).shape();
        }
        List<Long> shapeList = shape == null ? List.of() : Arrays.stream(shape).boxed().toList();
        String specText =
            s.dtype().isFloating() || s.integerValue() == null
                ? spec.describe()
                : "value:" + s.integerValue();
        inputs.add(
            new ProbeReport.Input(
                s.position(), names, shapeList, s.refLayout().name(), s.dtype().name(), specText));
      }
      out.add(new ProbeReport(probe.label(), inputs, conv));
    }
    return List.copyOf(out);
  }

  private Tensor generate(Probe probe, Slot s) {
    ProbeSpec spec = probe.specFor(s.position(), s.names());
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
              + String.join("' / '", s.names())
              + "' (position "
              + s.position()
              + "); give it with --shape "
              + s.names().get(0)
              + "=1,3,224,224 (in that model's layout).");
    }
    if (!s.dtype().isFloating()) {
      long v;
      if (s.integerValue() != null) {
        v = s.integerValue();
      } else if (spec instanceof ProbeSpec.Ones) {
        v = 1;
      } else if (spec instanceof ProbeSpec.Zeros) {
        v = 0;
      } else {
        throw PortcheckException.usage(
            "input '"
                + s.names().get(0)
                + "' is "
                + s.dtype()
                + " and cannot be filled with random values; give its value with --value "
                + s.names().get(0)
                + "=N.");
      }
      long[] data = new long[feedable(s)];
      Arrays.fill(data, v);
      return Tensor.ofLongs(s.dtype(), s.shape(), data);
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
            .append(s.names().get(0))
            .append("' of m0")
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
              + s.names().get(0)
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
