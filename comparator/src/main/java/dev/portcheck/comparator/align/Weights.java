package dev.portcheck.comparator.align;

import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.WeightLayout;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * A model's parameters in one canonical layout (PyTorch's: OIHW kernels, OI matrices), read on
 * demand, with their roles normalised ({@code gamma} and a norm's {@code weight} are both {@code
 * scale}). Only small summaries are kept for every parameter (order-independent fingerprints,
 * computed from the values as the model stores them, without a canonical copy); the values
 * themselves are read when a check needs them and only the most recently read are kept, within
 * {@link #RECENT_BYTES}, so that models whose weights exceed the heap can be compared. For a
 * recorded model only checksums are known: then {@link #canonical} is null and fingerprints and
 * checksums come from the recording. Thread-safe: the reference's parameters are read by the pairs
 * of models aligned in parallel.
 */
public final class Weights {
  /**
   * Canonical copies kept for reuse (a fold's kernel tried against the other model's candidates, a
   * layer's parameters read by several checks): at most this many bytes, besides the one being
   * used; the least recently used go first.
   */
  public static final long RECENT_BYTES = 64L << 20;

  private final ModelView model;
  private final Function<String, Checksum> recording;
  private final LinkedHashMap<String, Tensor> recent = new LinkedHashMap<>(16, 0.75f, true);
  private long recentBytes;
  private final Map<String, Fingerprint> fingerprints = new HashMap<>();
  private final Map<String, Checksum> checksums = new HashMap<>();

  /** The parameters of a model that holds them. */
  public Weights(ModelView model) {
    this(model, null);
  }

  /**
   * The parameters of a model known from a recording: {@code recorded} gives a parameter's checksum
   * (null when not recorded); no values are read from the model. With {@code recorded} null, the
   * model's own values are read.
   */
  public Weights(ModelView model, Function<String, Checksum> recorded) {
    this.model = model;
    this.recording = recorded;
  }

  /** Whether parameter values are known (not only checksums). */
  public boolean hasValues() {
    return recording == null;
  }

  /** The model whose parameters these are. */
  public ModelView model() {
    return model;
  }

  /** The layer's parameters by normalised role, in a stable order. */
  public static Map<String, String> roles(Layer layer) {
    Map<String, String> out = new LinkedHashMap<>();
    boolean norm = layer.kind().isNormalization();
    layer.parameters().forEach((role, name) -> out.putIfAbsent(normaliseRole(role, norm), name));
    return out;
  }

  static String normaliseRole(String role, boolean norm) {
    String r = role.toLowerCase(Locale.ROOT);
    return switch (r) {
      case "kernel", "depthwise_kernel" -> "weight";
      case "gamma" -> "scale";
      case "beta" -> "offset";
      case "running_mean", "moving_mean" -> "mean";
      case "running_var", "moving_variance", "var" -> "variance";
      case "weight" -> norm ? "scale" : "weight";
      case "bias" -> norm ? "offset" : "bias";
      default -> r;
    };
  }

  /** The main role compared first: a kernel or matrix, or a norm's scale. */
  static String mainRole(Map<String, String> roles) {
    if (roles.containsKey("weight")) {
      return "weight";
    }
    if (roles.containsKey("scale")) {
      return "scale";
    }
    return roles.isEmpty() ? null : roles.keySet().iterator().next();
  }

  /**
   * A parameter in canonical layout, read from the model unless it was among the last read; null
   * for a recorded model, which keeps checksums only. Callers must not hold on to it beyond the
   * check at hand: that is what keeps the heap free of the model's weights.
   */
  public synchronized Tensor canonical(String name) {
    if (recording != null) {
      return null;
    }
    Tensor t = recent.get(name);
    if (t == null) {
      t = toCanonical(model.parameter(name), layout(name));
      remember(name, t);
    }
    return t;
  }

  /**
   * A parameter's shape in canonical layout, from the model's description (no values read); null
   * for a parameter the description lacks.
   */
  public long[] canonicalShape(String name) {
    ParameterInfo info = model.parameters().get(name);
    if (info == null) {
      return null;
    }
    return canonicalShape(
        info.shape().stream().mapToLong(Long::longValue).toArray(), info.layout());
  }

  private WeightLayout layout(String name) {
    ParameterInfo info = model.parameters().get(name);
    return info == null ? WeightLayout.OTHER : info.layout();
  }

  private void remember(String name, Tensor t) {
    long bytes = 4L * t.size();
    if (bytes > RECENT_BYTES) {
      return;
    }
    recent.put(name, t);
    recentBytes += bytes;
    var it = recent.entrySet().iterator();
    while (recentBytes > RECENT_BYTES && it.hasNext()) {
      Map.Entry<String, Tensor> e = it.next();
      recentBytes -= 4L * e.getValue().size();
      it.remove();
    }
  }

  /**
   * Fingerprints every layer parameter now, reading each once and keeping none of the values. The
   * comparator does this for all models at once, one thread each: it is the part of the alignment
   * that reads every weight.
   */
  public void prefetch() {
    if (recording != null) {
      return;
    }
    for (Layer l : model.layers()) {
      for (String name : l.parameters().values()) {
        if (model.parameters().containsKey(name)) {
          fingerprint(name);
        }
      }
    }
  }

  /** Drops the canonical copies kept for reuse once attributes and weights are checked. */
  public synchronized void release() {
    recent.clear();
    recentBytes = 0;
  }

  /**
   * Layers whose {@code weight} is the same matrix (up to a transpose) as another layer's, by layer
   * name: tied weights, such as GPT-2's output projection reading the input embedding table. Only
   * 2-D weights with values count: equal biases or LayerNorm scales of ones would tie nothing.
   */
  public Map<String, java.util.List<String>> tiedWeights() {
    java.util.List<Layer> layers = new java.util.ArrayList<>();
    java.util.List<Fingerprint> prints = new java.util.ArrayList<>();
    for (Layer l : model.layers()) {
      String name = l.parameters().get("weight");
      Fingerprint f = name == null ? null : fingerprint(name);
      if (f != null && f.sortedShape().size() == 2 && f.absSum() > 0) {
        layers.add(l);
        prints.add(f);
      }
    }
    Map<String, java.util.List<String>> out = new LinkedHashMap<>();
    for (int i = 0; i < layers.size(); i++) {
      for (int j = 0; j < layers.size(); j++) {
        if (i != j && prints.get(i).matches(prints.get(j))) {
          out.computeIfAbsent(layers.get(i).name(), k -> new java.util.ArrayList<>())
              .add(layers.get(j).name());
        }
      }
    }
    return out;
  }

  /** The parameter's order-independent fingerprint, or null when a recording lacks it. */
  synchronized Fingerprint fingerprint(String name) {
    if (recording != null) {
      Checksum c = recording.apply(name);
      return c == null ? null : c.fingerprint();
    }
    Fingerprint f = fingerprints.get(name);
    if (f == null) {
      Tensor cached = recent.get(name);
      // The sums do not depend on the order of the values, so the stored layout serves as well as
      // the canonical one: no transposed copy is made, and the values are dropped at once.
      Tensor stored = cached != null ? cached : model.parameter(name);
      long[] shape = cached != null ? cached.shape() : canonicalShape(stored.shape(), layout(name));
      f = Fingerprint.of(stored, shape);
      fingerprints.put(name, f);
    }
    return f;
  }

  /** The parameter's checksum (recorded, or computed from its values), or null when unknown. */
  public synchronized Checksum checksum(String name) {
    if (recording != null) {
      return recording.apply(name);
    }
    if (!model.parameters().containsKey(name)) {
      return null;
    }
    return checksums.computeIfAbsent(name, n -> Checksum.of(canonical(n)));
  }

  /** The shape {@link #toCanonical} gives a tensor of shape {@code s} stored in {@code layout}. */
  static long[] canonicalShape(long[] s, WeightLayout layout) {
    return switch (layout) {
      case HWIO -> s.length == 4 ? new long[] {s[3], s[2], s[0], s[1]} : s.clone();
      case HWIM -> s.length == 4 ? new long[] {s[2] * s[3], 1, s[0], s[1]} : s.clone();
      case IO -> s.length == 2 ? new long[] {s[1], s[0]} : s.clone();
      default -> s.clone();
    };
  }

  /** OIHW / OI from whatever the framework stores; other layouts are returned as stored. */
  static Tensor toCanonical(Tensor t, WeightLayout layout) {
    long[] s = t.shape();
    switch (layout) {
      case HWIO:
        // TF [kh, kw, in, out] -> [out, in, kh, kw]
        return s.length == 4 ? t.transpose(3, 2, 0, 1) : t;
      case HWIM:
        // TF depthwise [kh, kw, C, M] -> PyTorch grouped [C*M, 1, kh, kw]
        if (s.length != 4) {
          return t;
        }
        return t.transpose(2, 3, 0, 1).reshape(new long[] {s[2] * s[3], 1, s[0], s[1]});
      case IO:
        return s.length == 2 ? t.transpose(1, 0) : t;
      default:
        return t;
    }
  }

  /**
   * A cheap, order-independent summary of a tensor: equal tensors (and permutations of each other,
   * such as a kernel with H and W swapped) have equal fingerprints.
   */
  record Fingerprint(java.util.List<Long> sortedShape, double sum, double absSum, double l2) {
    /**
     * The fingerprint of {@code t}'s values (in any order) for the canonical shape {@code shape}.
     */
    static Fingerprint of(Tensor t, long[] shape) {
      double[] m = ValueSums.of(t);
      long[] sorted = shape.clone();
      java.util.Arrays.sort(sorted);
      return new Fingerprint(java.util.Arrays.stream(sorted).boxed().toList(), m[0], m[1], m[2]);
    }

    /** Equal shape multiset and sums within float32 rounding. */
    boolean matches(Fingerprint o) {
      if (o == null) {
        return false;
      }
      if (!sortedShape.equals(o.sortedShape)) {
        return false;
      }
      double scale = Math.max(absSum, o.absSum);
      if (scale == 0) {
        return true;
      }
      double tol = 1e-5 * scale + 1e-9;
      return Math.abs(sum - o.sum) <= tol
          && Math.abs(absSum - o.absSum) <= tol
          && Math.abs(l2 - o.l2) <= 1e-5 * Math.max(l2, o.l2) + 1e-12;
    }
  }
}
