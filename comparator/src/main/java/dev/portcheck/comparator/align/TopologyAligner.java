package dev.portcheck.comparator.align;

import dev.portcheck.comparator.report.AlignedBy;
import dev.portcheck.importers.api.Layer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * Aligns the layers left over after parameter evidence (ReLU, Add, pooling, reshapes) by their
 * op-kind sequence: between each pair of consecutive anchored layers, a longest-common-subsequence
 * over kinds, with name similarity breaking ties (two ReLUs in a row).
 */
final class TopologyAligner {
  private TopologyAligner() {}

  static void fill(
      List<Layer> a,
      List<Layer> b,
      int[] match,
      int[] back,
      AlignedBy[] by,
      boolean[] consumedA,
      boolean[] consumedB,
      BiPredicate<Layer, Layer> compatible) {
    List<int[]> anchors = monotoneAnchors(match);
    int prevI = -1;
    int prevJ = -1;
    for (int k = 0; k <= anchors.size(); k++) {
      int nextI = k < anchors.size() ? anchors.get(k)[0] : a.size();
      int nextJ = k < anchors.size() ? anchors.get(k)[1] : b.size();
      List<Integer> xs = new ArrayList<>();
      for (int i = prevI + 1; i < nextI; i++) {
        if (match[i] < 0 && !consumedA[i]) {
          xs.add(i);
        }
      }
      List<Integer> ys = new ArrayList<>();
      for (int j = prevJ + 1; j < nextJ; j++) {
        if (back[j] < 0 && !consumedB[j]) {
          ys.add(j);
        }
      }
      segment(a, b, xs, ys, match, back, by, compatible);
      prevI = nextI;
      prevJ = nextJ;
    }
  }

  /** The longest chain of matches increasing in both models (crossing matches are no anchors). */
  private static List<int[]> monotoneAnchors(int[] match) {
    List<int[]> pairs = new ArrayList<>();
    for (int i = 0; i < match.length; i++) {
      if (match[i] >= 0) {
        pairs.add(new int[] {i, match[i]});
      }
    }
    int n = pairs.size();
    int[] len = new int[n];
    int[] prev = new int[n];
    int bestEnd = -1;
    for (int x = 0; x < n; x++) {
      len[x] = 1;
      prev[x] = -1;
      for (int y = 0; y < x; y++) {
        if (pairs.get(y)[1] < pairs.get(x)[1] && len[y] + 1 > len[x]) {
          len[x] = len[y] + 1;
          prev[x] = y;
        }
      }
      if (bestEnd < 0 || len[x] > len[bestEnd]) {
        bestEnd = x;
      }
    }
    List<int[]> chain = new ArrayList<>();
    for (int x = bestEnd; x >= 0; x = prev[x]) {
      chain.add(0, pairs.get(x));
    }
    return chain;
  }

  private static void segment(
      List<Layer> a,
      List<Layer> b,
      List<Integer> xs,
      List<Integer> ys,
      int[] match,
      int[] back,
      AlignedBy[] by,
      BiPredicate<Layer, Layer> compatible) {
    int n = xs.size();
    int m = ys.size();
    if (n == 0 || m == 0) {
      return;
    }
    double[][] score = new double[n + 1][m + 1];
    for (int x = n - 1; x >= 0; x--) {
      for (int y = m - 1; y >= 0; y--) {
        double best = Math.max(score[x + 1][y], score[x][y + 1]);
        Layer la = a.get(xs.get(x));
        Layer lb = b.get(ys.get(y));
        if (compatible.test(la, lb)) {
          best = Math.max(best, 1 + 0.5 * similarity(la.name(), lb.name()) + score[x + 1][y + 1]);
        }
        score[x][y] = best;
      }
    }
    int x = 0;
    int y = 0;
    while (x < n && y < m) {
      Layer la = a.get(xs.get(x));
      Layer lb = b.get(ys.get(y));
      if (compatible.test(la, lb)
          && score[x][y] == 1 + 0.5 * similarity(la.name(), lb.name()) + score[x + 1][y + 1]) {
        match[xs.get(x)] = ys.get(y);
        back[ys.get(y)] = xs.get(x);
        by[xs.get(x)] = AlignedBy.TOPOLOGY;
        x++;
        y++;
      } else if (score[x][y] == score[x + 1][y]) {
        x++;
      } else {
        y++;
      }
    }
  }

  /** Jaccard similarity of name tokens, in [0, 1). */
  static double similarity(String p, String q) {
    Set<String> tp = tokens(p);
    Set<String> tq = tokens(q);
    if (tp.isEmpty() || tq.isEmpty()) {
      return 0;
    }
    Set<String> inter = new HashSet<>(tp);
    inter.retainAll(tq);
    Set<String> union = new HashSet<>(tp);
    union.addAll(tq);
    return 0.99 * inter.size() / union.size();
  }

  private static Set<String> tokens(String s) {
    Set<String> out = new HashSet<>();
    Arrays.stream(s.toLowerCase(Locale.ROOT).split("[^a-z0-9]+"))
        .filter(t -> !t.isEmpty())
        .forEach(out::add);
    return out;
  }
}
