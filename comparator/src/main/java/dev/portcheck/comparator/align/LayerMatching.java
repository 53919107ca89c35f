package dev.portcheck.comparator.align;

import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.OpRole;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import java.util.function.IntUnaryOperator;

/** How layers of two models may correspond by kind and by parameter names. */
final class LayerMatching {
  private static final Set<String> ROLE_WORDS =
      Set.of(
          "weight",
          "bias",
          "kernel",
          "depthwise_kernel",
          "gamma",
          "beta",
          "running_mean",
          "running_var",
          "moving_mean",
          "moving_variance",
          "num_batches_tracked",
          "scale",
          "offset",
          "mean",
          "variance",
          "read",
          "readvariableop");

  private static final Set<OpKind> DENSE = Set.of(OpKind.LINEAR, OpKind.MATMUL);
  // TF fuses a LayerNormalization into FusedBatchNormV3 (see the fixtures' notes).
  private static final Set<OpKind> NORM = Set.of(OpKind.LAYER_NORM, OpKind.BATCH_NORM);
  // Global pooling is spelt AdaptiveAvgPool2d in PyTorch, GlobalAveragePool in ONNX and a Mean over
  // H and W in TensorFlow.
  private static final Set<OpKind> AVERAGE =
      Set.of(OpKind.AVG_POOL, OpKind.GLOBAL_AVG_POOL, OpKind.REDUCE_MEAN);

  private LayerMatching() {}

  /**
   * Whether two layers may stand for each other by what they compute; {@code lookups} holds the
   * embedding lookups of both models (see {@link #lookups}), which their op types do not tell apart
   * across frameworks.
   */
  static boolean compatible(Layer x, Layer y, Set<Layer> lookups) {
    OpKind p = x.kind();
    OpKind q = y.kind();
    if (p == q && p != OpKind.OTHER) {
      return true;
    }
    if (p == q) {
      return x.opType().equalsIgnoreCase(y.opType())
          || (lookups.contains(x) && lookups.contains(y));
    }
    return (DENSE.contains(p) && DENSE.contains(q))
        || (NORM.contains(p) && NORM.contains(q))
        || (AVERAGE.contains(p) && AVERAGE.contains(q));
  }

  /**
   * The embedding lookups among {@code layers} of {@code model}: layers its importer declares
   * {@link OpRole#LOOKUP} that read a table they hold as their weight. An identity set: the same
   * layer values may not be told apart across models, their instances are.
   */
  static Set<Layer> lookups(ModelView model, List<Layer> layers, Set<Layer> into) {
    for (Layer l : layers) {
      if (l.parameters().containsKey("weight") && model.roles(l).contains(OpRole.LOOKUP)) {
        into.add(l);
      }
    }
    return into;
  }

  /** An empty identity set of layers, for {@link #lookups}. */
  static Set<Layer> identitySet() {
    return Collections.newSetFromMap(new IdentityHashMap<>());
  }

  /** Parameter name with its role and framework decorations removed, as tokens. */
  static List<String> stem(String parameterName) {
    List<String> tokens = new ArrayList<>();
    for (String t : parameterName.replaceAll(":\\d+$", "").split("[/.:]+")) {
      if (!t.isEmpty()) {
        tokens.add(t);
      }
    }
    while (!tokens.isEmpty()
        && ROLE_WORDS.contains(tokens.get(tokens.size() - 1).toLowerCase(Locale.ROOT))) {
      tokens.remove(tokens.size() - 1);
    }
    return tokens;
  }

  /** The stem most of a layer's parameters share, or an empty list. */
  static List<String> layerStem(Layer l) {
    Map<List<String>, Integer> counts = new HashMap<>();
    List<String> best = List.of();
    int bestCount = 0;
    for (String p : l.parameters().values()) {
      List<String> s = stem(p);
      int c = counts.merge(s, 1, Integer::sum);
      if (!s.isEmpty() && c > bestCount) {
        best = s;
        bestCount = c;
      }
    }
    return best;
  }

  /** Distance between stems when one is a token suffix of the other, else -1. */
  static int suffixDistance(List<String> x, List<String> y) {
    List<String> shorter = x.size() <= y.size() ? x : y;
    List<String> longer = x.size() <= y.size() ? y : x;
    if (shorter.isEmpty()) {
      return -1;
    }
    List<String> tail = longer.subList(longer.size() - shorter.size(), longer.size());
    return tail.equals(shorter) ? longer.size() - shorter.size() : -1;
  }

  /**
   * The compatible layer of {@code lt} whose stem is nearest to layer {@code x}'s (suffix
   * distance), or -1 when there is none or a tie.
   */
  private static int uniqueBest(
      int x,
      List<List<String>> from,
      List<List<String>> to,
      List<Layer> lf,
      List<Layer> lt,
      BiPredicate<Layer, Layer> compatible) {
    if (from.get(x).isEmpty()) {
      return -1;
    }
    return nearest(
        to.size(),
        y -> compatible.test(lf.get(x), lt.get(y)) ? suffixDistance(from.get(x), to.get(y)) : -1);
  }

  /**
   * The candidate {@code y < count} at the smallest {@code distance(y)} (negative: not a
   * candidate), or -1 when there is none or two share the smallest distance.
   */
  static int nearest(int count, IntUnaryOperator distance) {
    int best = -1;
    int bestDist = Integer.MAX_VALUE;
    boolean tie = false;
    for (int y = 0; y < count; y++) {
      int d = distance.applyAsInt(y);
      if (d < 0) {
        continue;
      }
      if (d < bestDist) {
        best = y;
        bestDist = d;
        tie = false;
      } else if (d == bestDist) {
        tie = true;
      }
    }
    return tie ? -1 : best;
  }

  /**
   * Pairs every layer of {@code a} with the layer of {@code b} whose parameter-name stem is its
   * unique nearest, when that choice is mutual and the layer of {@code b} is still free.
   */
  static void pairByNames(
      List<Layer> a,
      List<Layer> b,
      int[] back,
      BiPredicate<Layer, Layer> compatible,
      BiConsumer<Integer, Integer> pair) {
    List<List<String>> sa = a.stream().map(LayerMatching::layerStem).toList();
    List<List<String>> sb = b.stream().map(LayerMatching::layerStem).toList();
    for (int i = 0; i < a.size(); i++) {
      int j = uniqueBest(i, sa, sb, a, b, compatible);
      if (j >= 0
          && back[j] < 0
          && uniqueBest(j, sb, sa, b, a, (p, q) -> compatible.test(q, p)) == i) {
        pair.accept(i, j);
      }
    }
  }

  /**
   * Pairs each unmatched layer of {@code a} that has parameters with the one free compatible layer
   * of {@code b} holding the same values, when no other layer of {@code a} claims it too.
   */
  static void pairByUniqueValues(
      List<Layer> a,
      List<Layer> b,
      int[] match,
      int[] back,
      BiPredicate<Layer, Layer> compatible,
      BiPredicate<Layer, Layer> same,
      BiConsumer<Integer, Integer> pair) {
    int[] cand = new int[a.size()];
    int[] count = new int[b.size()];
    Arrays.fill(cand, -1);
    for (int i = 0; i < a.size(); i++) {
      if (match[i] >= 0 || a.get(i).parameters().isEmpty()) {
        continue;
      }
      int found = -1;
      int n = 0;
      for (int j = 0; j < b.size(); j++) {
        if (back[j] < 0 && compatible.test(a.get(i), b.get(j)) && same.test(a.get(i), b.get(j))) {
          found = j;
          n++;
        }
      }
      if (n == 1) {
        cand[i] = found;
        count[found]++;
      }
    }
    for (int i = 0; i < a.size(); i++) {
      if (cand[i] >= 0 && count[cand[i]] == 1) {
        pair.accept(i, cand[i]);
      }
    }
  }
}
