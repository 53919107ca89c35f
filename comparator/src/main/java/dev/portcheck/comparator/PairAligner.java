package dev.portcheck.comparator;

import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Aligns one model's layers with the reference model's, strongest evidence first: shared parameter
 * names, then equal parameter values up to layout, then a BatchNorm folded into a Conv, then the
 * op-kind sequence between those anchors.
 */
final class PairAligner {
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

  /**
   * A BatchNorm of one model folded into a Conv of the other. Indices are into each model's layer
   * list.
   */
  record Fold(
      int bnModel, int rawConv, int bn, int foldedModel, int foldedConv, double inferredEpsilon) {}

  /** The outcome: {@code match[i]} is the other model's layer for reference layer i, or -1. */
  record Result(int[] match, AlignedBy[] by, boolean[] otherMatched, List<Fold> folds) {}

  private final Weights ref;
  private final Weights other;
  private final int otherIndex;
  private final List<Layer> a;
  private final List<Layer> b;
  private final int[] match;
  private final int[] back;
  private final AlignedBy[] by;
  private final boolean[] consumedA;
  private final boolean[] consumedB;
  private final List<Fold> folds = new ArrayList<>();

  PairAligner(Weights ref, Weights other, int otherIndex) {
    this.ref = ref;
    this.other = other;
    this.otherIndex = otherIndex;
    this.a = ref.model().layers();
    this.b = other.model().layers();
    this.match = new int[a.size()];
    this.back = new int[b.size()];
    this.by = new AlignedBy[a.size()];
    this.consumedA = new boolean[a.size()];
    this.consumedB = new boolean[b.size()];
    Arrays.fill(match, -1);
    Arrays.fill(back, -1);
  }

  Result align() {
    byParameterName();
    byFingerprint();
    byFold(ref, a, consumedA, 0, other, b, consumedB, otherIndex);
    byFold(other, b, consumedB, otherIndex, ref, a, consumedA, 0);
    TopologyAligner.fill(a, b, match, back, by, consumedA, consumedB);
    boolean[] otherMatched = new boolean[b.size()];
    for (int j = 0; j < b.size(); j++) {
      otherMatched[j] = back[j] >= 0 || consumedB[j];
    }
    return new Result(match.clone(), by.clone(), otherMatched, List.copyOf(folds));
  }

  private void pair(int i, int j, AlignedBy evidence) {
    match[i] = j;
    back[j] = i;
    by[i] = evidence;
  }

  static boolean compatible(Layer x, Layer y) {
    OpKind p = x.kind();
    OpKind q = y.kind();
    if (p == q) {
      return p != OpKind.OTHER || x.opType().equalsIgnoreCase(y.opType());
    }
    Set<OpKind> dense = Set.of(OpKind.LINEAR, OpKind.MATMUL);
    Set<OpKind> norm = Set.of(OpKind.LAYER_NORM, OpKind.BATCH_NORM);
    // TF fuses a LayerNormalization into FusedBatchNormV3 (see the fixtures' notes).
    return (dense.contains(p) && dense.contains(q)) || (norm.contains(p) && norm.contains(q));
  }

  /** Parameter name with its role and framework decorations removed, as tokens. */
  static List<String> stem(String parameterName) {
    String n = parameterName.replaceAll(":\\d+$", "");
    List<String> tokens = new ArrayList<>();
    for (String t : n.split("[/.:]+")) {
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

  private static List<String> layerStem(Layer l) {
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
  private static int suffixDistance(List<String> x, List<String> y) {
    List<String> shorter = x.size() <= y.size() ? x : y;
    List<String> longer = x.size() <= y.size() ? y : x;
    if (shorter.isEmpty()) {
      return -1;
    }
    List<String> tail = longer.subList(longer.size() - shorter.size(), longer.size());
    return tail.equals(shorter) ? longer.size() - shorter.size() : -1;
  }

  private void byParameterName() {
    List<List<String>> sa = a.stream().map(PairAligner::layerStem).toList();
    List<List<String>> sb = b.stream().map(PairAligner::layerStem).toList();
    int[] bestForA = new int[a.size()];
    for (int i = 0; i < a.size(); i++) {
      bestForA[i] = uniqueBest(i, sa, sb, true);
    }
    for (int i = 0; i < a.size(); i++) {
      int j = bestForA[i];
      if (j >= 0 && back[j] < 0 && uniqueBest(j, sb, sa, false) == i) {
        pair(i, j, AlignedBy.PARAMETER_NAME);
      }
    }
  }

  private int uniqueBest(int x, List<List<String>> from, List<List<String>> to, boolean fromA) {
    if (from.get(x).isEmpty()) {
      return -1;
    }
    int best = -1;
    int bestDist = Integer.MAX_VALUE;
    boolean tie = false;
    for (int y = 0; y < to.size(); y++) {
      Layer lx = fromA ? a.get(x) : b.get(x);
      Layer ly = fromA ? b.get(y) : a.get(y);
      if (!compatible(lx, ly)) {
        continue;
      }
      int d = suffixDistance(from.get(x), to.get(y));
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

  private void byFingerprint() {
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
        if (back[j] < 0 && compatible(a.get(i), b.get(j)) && sameValues(a.get(i), b.get(j))) {
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
        pair(i, cand[i], AlignedBy.PARAMETER_FINGERPRINT);
      }
    }
  }

  private boolean sameValues(Layer x, Layer y) {
    Map<String, String> rx = Weights.roles(x);
    Map<String, String> ry = Weights.roles(y);
    String main = Weights.mainRole(rx);
    if (main == null || !ry.containsKey(main)) {
      return false;
    }
    for (Map.Entry<String, String> e : rx.entrySet()) {
      String other = ry.get(e.getKey());
      if (other != null && !ref.fingerprint(e.getValue()).matches(this.other.fingerprint(other))) {
        return false;
      }
    }
    return true;
  }

  /** The BatchNorm reading this conv's output, if it is the next consumer. */
  static int followingBatchNorm(List<Layer> layers, int conv) {
    Layer c = layers.get(conv);
    boolean graphKnown = layers.stream().anyMatch(l -> !l.inputs().isEmpty());
    for (int k = conv + 1; k < layers.size(); k++) {
      Layer l = layers.get(k);
      boolean consumes =
          graphKnown
              ? !c.outputs().isEmpty() && l.inputs().contains(c.outputs().get(0))
              : k == conv + 1;
      if (consumes) {
        return l.kind() == OpKind.BATCH_NORM ? k : -1;
      }
    }
    return -1;
  }

  private void byFold(
      Weights bnW,
      List<Layer> bnLayers,
      boolean[] bnConsumed,
      int bnModel,
      Weights foldW,
      List<Layer> foldLayers,
      boolean[] foldConsumed,
      int foldModel) {
    boolean bnIsRef = bnModel == 0;
    for (int c = 0; c < bnLayers.size(); c++) {
      Layer conv = bnLayers.get(c);
      if (conv.kind() != OpKind.CONV || !Weights.roles(conv).containsKey("weight")) {
        continue;
      }
      int bn = followingBatchNorm(bnLayers, c);
      if (bn < 0 || bnConsumed[bn] || (bnIsRef ? match[bn] >= 0 : back[bn] >= 0)) {
        continue;
      }
      int partner = bnIsRef ? match[c] : back[c];
      List<Integer> candidates = new ArrayList<>();
      if (partner >= 0) {
        candidates.add(partner);
      } else {
        for (int j = 0; j < foldLayers.size(); j++) {
          boolean free = bnIsRef ? back[j] < 0 : match[j] < 0;
          if (free && !foldConsumed[j] && foldLayers.get(j).kind() == OpKind.CONV) {
            candidates.add(j);
          }
        }
      }
      for (int j : candidates) {
        Layer fc = foldLayers.get(j);
        if (followingBatchNorm(foldLayers, j) >= 0 || !Weights.roles(fc).containsKey("weight")) {
          continue;
        }
        Optional<FoldedBatchNorm.Result> r = tryFold(bnW, conv, bnLayers.get(bn), foldW, fc);
        if (r.isPresent()) {
          bnConsumed[bn] = true;
          if (bnIsRef) {
            pair(c, j, AlignedBy.FOLDED_FINGERPRINT);
          } else {
            pair(j, c, AlignedBy.FOLDED_FINGERPRINT);
          }
          folds.add(new Fold(bnModel, c, bn, foldModel, j, r.get().inferredEpsilon()));
          break;
        }
      }
    }
  }

  private static Optional<FoldedBatchNorm.Result> tryFold(
      Weights bnW, Layer conv, Layer bn, Weights foldW, Layer folded) {
    Map<String, String> br = Weights.roles(bn);
    if (!br.containsKey("scale") || !br.containsKey("variance")) {
      return Optional.empty();
    }
    Tensor raw = bnW.canonical(Weights.roles(conv).get("weight"));
    Tensor f = foldW.canonical(Weights.roles(folded).get("weight"));
    return FoldedBatchNorm.detect(
        raw, f, bnW.canonical(br.get("scale")), bnW.canonical(br.get("variance")));
  }
}
