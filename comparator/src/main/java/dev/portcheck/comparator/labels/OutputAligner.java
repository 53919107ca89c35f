package dev.portcheck.comparator.labels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds which output of one model is which output of another from their scores alone: the same
 * index, a shift by k extra leading or trailing outputs, or a permutation recovered from each
 * class's fingerprint (its scores across the probes).
 *
 * <p>Closeness (allclose on every aligned score) is tried for every alignment before ranking
 * agreement (same top-1 and top-5 on every probe), so that a permutation whose scores match exactly
 * wins over an identity that merely happens to rank a few probes alike.
 */
final class OutputAligner {
  /** How outputs correspond. */
  enum Kind {
    IDENTITY,
    /** The larger model has {@code extra} outputs before the shared ones. */
    LEADING,
    /** The larger model has {@code extra} outputs after the shared ones. */
    TRAILING,
    PERMUTATION
  }

  /**
   * An alignment: {@code map[i]} is the second model's output for the first model's output {@code
   * i}, or -1 when it has none.
   *
   * @param extra how many outputs the larger model has beyond the shared ones
   * @param extraInSecond whether those are the second model's
   * @param exact whether all aligned scores are close; false when only the rankings agree
   * @param maxDiff the largest |a-b| over aligned scores
   */
  record Alignment(
      Kind kind, int[] map, int extra, boolean extraInSecond, boolean exact, double maxDiff) {
    List<int[]> pairs() {
      List<int[]> out = new ArrayList<>();
      for (int i = 0; i < map.length; i++) {
        if (map[i] >= 0) {
          out.add(new int[] {i, map[i]});
        }
      }
      return out;
    }
  }

  /** Below this ratio of nearest to second-nearest fingerprint distance a match is ambiguous. */
  private static final double MARGIN = 0.5;

  private final Scores scores;
  private final float[][] a;
  private final float[][] b;
  private final int ca;
  private final int cb;
  private String ambiguity;

  OutputAligner(Scores scores, float[][] a, float[][] b) {
    this.scores = scores;
    this.a = a;
    this.b = b;
    this.ca = a[0].length;
    this.cb = b[0].length;
  }

  /** Why a permutation could not be recovered, if that was the problem; null otherwise. */
  String ambiguity() {
    return ambiguity;
  }

  /**
   * Whether every probe's scores are the same multiset in both models (sorted rows close): the
   * outputs are then a reordering of each other even when the probes cannot tell which.
   */
  boolean sameScoresReordered() {
    if (ca != cb) {
      return false;
    }
    for (int p = 0; p < a.length; p++) {
      float[] sa = a[p].clone();
      float[] sb = b[p].clone();
      Arrays.sort(sa);
      Arrays.sort(sb);
      for (int i = 0; i < ca; i++) {
        if (!scores.close(sa[i], sb[i])) {
          return false;
        }
      }
    }
    return true;
  }

  /** The best alignment, or null when the outputs agree under none. */
  Alignment find() {
    for (boolean exact : new boolean[] {true, false}) {
      if (ca == cb) {
        int[] id = new int[ca];
        Arrays.setAll(id, i -> i);
        if (agrees(id, exact)) {
          return alignment(Kind.IDENTITY, id, exact);
        }
        int[] perm = ca > 1 ? (exact ? exactPermutation() : nearestPermutation()) : null;
        if (perm != null && agrees(perm, exact)) {
          return alignment(Kind.PERMUTATION, perm, exact);
        }
      } else {
        int k = Math.abs(ca - cb);
        for (Kind kind : new Kind[] {Kind.LEADING, Kind.TRAILING}) {
          int[] map = shiftMap(kind == Kind.LEADING ? k : 0);
          if (agrees(map, exact)) {
            return alignment(kind, map, exact);
          }
        }
      }
    }
    return null;
  }

  private Alignment alignment(Kind kind, int[] map, boolean exact) {
    double max = 0;
    for (int p = 0; p < a.length; p++) {
      for (int i = 0; i < ca; i++) {
        if (map[i] >= 0) {
          max = Math.max(max, Math.abs(a[p][i] - b[p][map[i]]));
        }
      }
    }
    return new Alignment(kind, map, Math.abs(ca - cb), cb > ca, exact, max);
  }

  /** The map when the larger model's shared outputs start at {@code lead}. */
  private int[] shiftMap(int lead) {
    int[] map = new int[ca];
    if (cb > ca) {
      Arrays.setAll(map, i -> i + lead);
    } else {
      Arrays.setAll(map, i -> i >= lead && i - lead < cb ? i - lead : -1);
    }
    return map;
  }

  private boolean agrees(int[] map, boolean exact) {
    int n = 0;
    for (int j : map) {
      n += j >= 0 ? 1 : 0;
    }
    if (n == 0) {
      return false;
    }
    for (int p = 0; p < a.length; p++) {
      float[] pa = new float[n];
      float[] pb = new float[n];
      int k = 0;
      for (int i = 0; i < ca; i++) {
        if (map[i] >= 0) {
          pa[k] = a[p][i];
          pb[k] = b[p][map[i]];
          if (exact && !scores.close(pa[k], pb[k])) {
            return false;
          }
          k++;
        }
      }
      if (!exact && !scores.ranksAgree(pa, pb)) {
        return false;
      }
    }
    return true;
  }

  /** Matches each column of a to the one column of b that is close on every probe. */
  private int[] exactPermutation() {
    int[] perm = new int[ca];
    boolean[] used = new boolean[cb];
    List<String> ambiguous = new ArrayList<>();
    for (int i = 0; i < ca; i++) {
      int found = -1;
      int count = 0;
      for (int j = 0; j < cb; j++) {
        if (columnsClose(i, j)) {
          found = j;
          count++;
        }
      }
      if (count == 0) {
        return null;
      }
      if (count > 1) {
        ambiguous.add(String.valueOf(i));
        continue;
      }
      if (used[found]) {
        return null;
      }
      used[found] = true;
      perm[i] = found;
    }
    if (!ambiguous.isEmpty()) {
      noteAmbiguity(ambiguous);
      return null;
    }
    return perm;
  }

  private boolean columnsClose(int i, int j) {
    for (int p = 0; p < a.length; p++) {
      if (!scores.close(a[p][i], b[p][j])) {
        return false;
      }
    }
    return true;
  }

  /**
   * Matches columns by nearest fingerprint after standardising each probe's row (so that a shift or
   * scale of all logits does not matter); every match must be one-to-one and clearly nearer than
   * the runner-up.
   */
  private int[] nearestPermutation() {
    double[][] za = standardise(a);
    double[][] zb = standardise(b);
    int[] perm = new int[ca];
    boolean[] used = new boolean[cb];
    List<String> ambiguous = new ArrayList<>();
    for (int i = 0; i < ca; i++) {
      int best = -1;
      double d1 = Double.POSITIVE_INFINITY;
      double d2 = Double.POSITIVE_INFINITY;
      for (int j = 0; j < cb; j++) {
        double d = 0;
        for (int p = 0; p < a.length; p++) {
          double diff = za[p][i] - zb[p][j];
          d += diff * diff;
        }
        if (d < d1) {
          d2 = d1;
          d1 = d;
          best = j;
        } else if (d < d2) {
          d2 = d;
        }
      }
      if (!(d2 > 0 && d1 <= MARGIN * d2) || used[best]) {
        ambiguous.add(String.valueOf(i));
        continue;
      }
      used[best] = true;
      perm[i] = best;
    }
    if (!ambiguous.isEmpty()) {
      noteAmbiguity(ambiguous);
      return null;
    }
    return perm;
  }

  private void noteAmbiguity(List<String> outputs) {
    if (ambiguity == null) {
      ambiguity =
          "on the "
              + a.length
              + " probe(s), output(s) "
              + String.join(", ", outputs.subList(0, Math.min(outputs.size(), 8)))
              + (outputs.size() > 8 ? " and " + (outputs.size() - 8) + " more" : "")
              + " of the first model match more than one output of the second";
    }
  }

  private static double[][] standardise(float[][] rows) {
    double[][] z = new double[rows.length][];
    for (int p = 0; p < rows.length; p++) {
      float[] r = rows[p];
      double mean = 0;
      for (float v : r) {
        mean += v;
      }
      mean /= r.length;
      double var = 0;
      for (float v : r) {
        var += (v - mean) * (v - mean);
      }
      double sd = Math.sqrt(var / r.length);
      z[p] = new double[r.length];
      for (int i = 0; i < r.length; i++) {
        z[p][i] = sd > 0 ? (r[i] - mean) / sd : 0;
      }
    }
    return z;
  }
}
