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
 * A model's parameters in one canonical layout (PyTorch's: OIHW kernels, OI matrices), read once
 * and cached, with their roles normalised ({@code gamma} and a norm's {@code weight} are both
 * {@code scale}). For a recorded model only checksums are known: then {@link #canonical} is null
 * and fingerprints and checksums come from the recording.
 */
public final class Weights {
  private final ModelView model;
  private final Function<String, Checksum> recording;
  private final Map<String, Tensor> canonical = new HashMap<>();
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

  /** A parameter in canonical layout; null for a recorded model, which keeps checksums only. */
  public Tensor canonical(String name) {
    if (recording != null) {
      return null;
    }
    Tensor t = canonical.get(name);
    if (t == null) {
      ParameterInfo info = model.parameters().get(name);
      t = toCanonical(model.parameter(name), info == null ? WeightLayout.OTHER : info.layout());
      canonical.put(name, t);
    }
    return t;
  }

  /**
   * Reads, converts and fingerprints every layer parameter now. The comparator does this for all
   * models at once, one thread each: it is most of the alignment's time, and alignment then only
   * reads this cache. Not thread-safe on one instance.
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

  /**
   * Drops the cached parameter copies once attributes and weights are checked, so that they are not
   * held in the heap next to the activations of the probe runs (ResNet-50: 100 MB per model).
   */
  public void release() {
    canonical.clear();
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
  Fingerprint fingerprint(String name) {
    if (recording != null) {
      Checksum c = recording.apply(name);
      return c == null ? null : c.fingerprint();
    }
    return fingerprints.computeIfAbsent(name, n -> Fingerprint.of(canonical(n)));
  }

  /** The parameter's checksum (recorded, or computed from its values), or null when unknown. */
  public Checksum checksum(String name) {
    if (recording != null) {
      return recording.apply(name);
    }
    if (!model.parameters().containsKey(name)) {
      return null;
    }
    return checksums.computeIfAbsent(name, n -> Checksum.of(canonical(n)));
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
    static Fingerprint of(Tensor t) {
      double s = 0;
      double a = 0;
      double q = 0;
      int n = t.size();
      for (int i = 0; i < n; i++) {
        double v = t.getFloat(i);
        s += v;
        a += Math.abs(v);
        q += v * v;
      }
      long[] shape = t.shape();
      java.util.Arrays.sort(shape);
      return new Fingerprint(java.util.Arrays.stream(shape).boxed().toList(), s, a, q);
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
