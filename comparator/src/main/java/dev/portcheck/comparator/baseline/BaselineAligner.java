package dev.portcheck.comparator.baseline;

import dev.portcheck.comparator.AlignedBy;
import dev.portcheck.comparator.LayerMatching;
import dev.portcheck.importers.api.Layer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Aligns a model's layers with a baseline's, strongest evidence first: shared parameter names (the
 * same model, or a PyTorch module path inside an ONNX initializer name), then parameter checksums
 * equal up to layout, then the op-kind sequence between those anchors (longest common subsequence),
 * then equal layer names. The comparator's own aligner needs parameter values, which a baseline
 * does not keep; this one works from names and checksums only.
 */
final class BaselineAligner {
  /** {@code match[i]}: the model's layer index for baseline layer i, or -1; {@code by[i]}: why. */
  record Result(int[] match, AlignedBy[] by) {}

  private final List<Layer> a;
  private final List<Layer> b;
  private final Function<String, Checksum> baseChecksum;
  private final Function<String, Checksum> liveChecksum;
  private final int[] match;
  private final int[] back;
  private final AlignedBy[] by;

  BaselineAligner(
      List<Layer> baseline,
      List<Layer> live,
      Function<String, Checksum> baseChecksum,
      Function<String, Checksum> liveChecksum) {
    this.a = baseline;
    this.b = live;
    this.baseChecksum = baseChecksum;
    this.liveChecksum = liveChecksum;
    match = new int[a.size()];
    back = new int[b.size()];
    by = new AlignedBy[a.size()];
    Arrays.fill(match, -1);
    Arrays.fill(back, -1);
  }

  Result align() {
    byParameterName();
    byChecksum();
    byNamePath();
    byTopology();
    byLayerName();
    return new Result(match.clone(), by.clone());
  }

  private void pair(int i, int j, AlignedBy e) {
    match[i] = j;
    back[j] = i;
    by[i] = e;
  }

  static boolean compatible(Layer x, Layer y) {
    return LayerMatching.compatible(x, y);
  }

  private void byParameterName() {
    LayerMatching.pairByNames(a, b, back, (i, j) -> pair(i, j, AlignedBy.PARAMETER_NAME));
  }

  private void byChecksum() {
    LayerMatching.pairByUniqueValues(
        a, b, match, back, this::sameValues, (i, j) -> pair(i, j, AlignedBy.PARAMETER_FINGERPRINT));
  }

  private boolean sameValues(Layer x, Layer y) {
    Map<String, String> rx = dev.portcheck.comparator.ComparisonParts.parameterRoles(x);
    Map<String, String> ry = dev.portcheck.comparator.ComparisonParts.parameterRoles(y);
    boolean any = false;
    for (Map.Entry<String, String> e : rx.entrySet()) {
      String other = ry.get(e.getKey());
      if (other == null) {
        continue;
      }
      Checksum cx = baseChecksum.apply(e.getValue());
      Checksum cy = liveChecksum.apply(other);
      if (cx == null || cy == null || !cx.sameValuesAnyOrder(cy)) {
        return false;
      }
      any = true;
    }
    return any;
  }

  /**
   * One layer's name is the other's module path plus decorations: {@code layer2.0.conv1} inside
   * {@code /layer2/layer2.0/conv1/Conv} (torch.onnx) or {@code resnet/layer2.0.conv1/Conv2D}
   * (tf2onnx of a Keras port), as whole tokens, for exactly one compatible layer each way.
   */
  private void byNamePath() {
    List<List<String>> ta = a.stream().map(l -> tokens(l.name())).toList();
    List<List<String>> tb = b.stream().map(l -> tokens(l.name())).toList();
    for (int i = 0; i < a.size(); i++) {
      if (match[i] >= 0) {
        continue;
      }
      int j = closest(i, ta, tb, a, b, match, back);
      if (j >= 0 && closest(j, tb, ta, b, a, back, match) == i) {
        pair(i, j, AlignedBy.TOPOLOGY);
      }
    }
  }

  /**
   * The unaligned compatible layer whose name tokens nest with x's with the fewest extra tokens
   * ({@code conv1} is {@code /conv1/Conv}, not {@code /layer1/layer1.0/conv1/Conv}); -1 on a tie.
   */
  private static int closest(
      int x,
      List<List<String>> from,
      List<List<String>> to,
      List<Layer> lf,
      List<Layer> lt,
      int[] fromMatch,
      int[] toMatch) {
    if (from.get(x).isEmpty() || fromMatch[x] >= 0) {
      return -1;
    }
    int best = -1;
    int bestDist = Integer.MAX_VALUE;
    boolean tie = false;
    for (int y = 0; y < to.size(); y++) {
      if (toMatch[y] >= 0 || !compatible(lf.get(x), lt.get(y)) || !nested(from.get(x), to.get(y))) {
        continue;
      }
      int d = Math.abs(from.get(x).size() - to.get(y).size());
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

  private static List<String> tokens(String name) {
    List<String> out = new ArrayList<>();
    for (String t : name.split("[/.:]+")) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  /** Whether the shorter token list occurs contiguously in the longer one. */
  private static boolean nested(List<String> x, List<String> y) {
    List<String> s = x.size() <= y.size() ? x : y;
    List<String> l = x.size() <= y.size() ? y : x;
    return !s.isEmpty() && java.util.Collections.indexOfSubList(l, s) >= 0;
  }

  /** Between consecutive anchors, pairs the longest common subsequence of compatible kinds. */
  private void byTopology() {
    int prevI = -1;
    int prevJ = -1;
    for (int i = 0; i <= a.size(); i++) {
      if (i < a.size() && (match[i] < 0 || match[i] <= prevJ)) {
        continue;
      }
      int nextJ = i < a.size() ? match[i] : b.size();
      fillSegment(prevI + 1, i, prevJ + 1, nextJ);
      if (i < a.size()) {
        prevI = i;
        prevJ = match[i];
      }
    }
  }

  private void fillSegment(int i0, int i1, int j0, int j1) {
    List<Integer> xs = new ArrayList<>();
    List<Integer> ys = new ArrayList<>();
    for (int i = i0; i < i1; i++) {
      if (match[i] < 0 && a.get(i).tappable()) {
        xs.add(i);
      }
    }
    for (int j = j0; j < j1; j++) {
      if (back[j] < 0 && b.get(j).tappable()) {
        ys.add(j);
      }
    }
    if (xs.isEmpty() || ys.isEmpty() || (long) xs.size() * ys.size() > 4_000_000L) {
      return;
    }
    int[][] lcs = new int[xs.size() + 1][ys.size() + 1];
    for (int x = xs.size() - 1; x >= 0; x--) {
      for (int y = ys.size() - 1; y >= 0; y--) {
        lcs[x][y] =
            compatible(a.get(xs.get(x)), b.get(ys.get(y)))
                ? 1 + lcs[x + 1][y + 1]
                : Math.max(lcs[x + 1][y], lcs[x][y + 1]);
      }
    }
    int x = 0;
    int y = 0;
    while (x < xs.size() && y < ys.size()) {
      if (compatible(a.get(xs.get(x)), b.get(ys.get(y))) && lcs[x][y] == 1 + lcs[x + 1][y + 1]) {
        pair(xs.get(x), ys.get(y), AlignedBy.TOPOLOGY);
        x++;
        y++;
      } else if (lcs[x + 1][y] >= lcs[x][y + 1]) {
        x++;
      } else {
        y++;
      }
    }
  }

  /** What is left: a layer of the same name and a compatible kind (the same model re-exported). */
  private void byLayerName() {
    Map<String, Integer> names = new HashMap<>();
    for (int j = 0; j < b.size(); j++) {
      names.putIfAbsent(b.get(j).name(), j);
    }
    for (int i = 0; i < a.size(); i++) {
      Integer j = names.get(a.get(i).name());
      if (match[i] < 0 && j != null && back[j] < 0 && compatible(a.get(i), b.get(j))) {
        pair(i, j, AlignedBy.TOPOLOGY);
      }
    }
  }
}
