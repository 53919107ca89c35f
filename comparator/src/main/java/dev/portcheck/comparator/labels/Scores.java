package dev.portcheck.comparator.labels;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Tolerant comparisons of score rows: closeness {@code |a-b| <= atol + rtol*|b|} (numpy's allclose)
 * and rank agreement that treats scores within that tolerance as ties.
 */
final class Scores {
  /** How many top classes a ranking comparison looks at (the usual top-5). */
  static final int TOP_K = 5;

  private final double atol;
  private final double rtol;

  Scores(double atol, double rtol) {
    this.atol = atol;
    this.rtol = rtol;
  }

  double atol() {
    return atol;
  }

  double rtol() {
    return rtol;
  }

  boolean close(double a, double b) {
    return Math.abs(a - b) <= atol + rtol * Math.abs(b);
  }

  /** Whether {@code v} reaches {@code threshold} or is tied with it within tolerance. */
  boolean atLeast(double v, double threshold) {
    return v >= threshold - (atol + rtol * Math.abs(threshold));
  }

  /** The index of the largest score; the lowest such index on exact ties. */
  static int argmax(float[] row) {
    int best = 0;
    for (int i = 1; i < row.length; i++) {
      if (row[i] > row[best]) {
        best = i;
      }
    }
    return best;
  }

  /** The indices of the {@code k} largest scores, largest first, lower index first on ties. */
  static int[] topK(float[] row, int k) {
    return IntStream.range(0, row.length)
        .boxed()
        .sorted(Comparator.<Integer>comparingDouble(i -> -row[i]).thenComparingInt(i -> i))
        .limit(k)
        .mapToInt(Integer::intValue)
        .toArray();
  }

  /** The indices whose score ties with or beats the {@code k}-th largest, within tolerance. */
  int[] topKWithTies(float[] row, int k) {
    int[] top = topK(row, k);
    float kth = row[top[top.length - 1]];
    return IntStream.range(0, row.length).filter(i -> atLeast(row[i], kth)).toArray();
  }

  /**
   * Whether two equally long rows rank their classes alike: each row's winner is (tied with) the
   * other's winner, and each row's top-5 lies within the other's tie-extended top-5.
   */
  boolean ranksAgree(float[] a, float[] b) {
    int ia = argmax(a);
    int ib = argmax(b);
    if (!atLeast(b[ia], b[ib]) || !atLeast(a[ib], a[ia])) {
      return false;
    }
    int k = Math.min(TOP_K, a.length);
    return within(topK(a, k), topKWithTies(b, k)) && within(topK(b, k), topKWithTies(a, k));
  }

  private static boolean within(int[] indices, int[] allowed) {
    int[] sorted = allowed.clone();
    Arrays.sort(sorted);
    for (int i : indices) {
      if (Arrays.binarySearch(sorted, i) < 0) {
        return false;
      }
    }
    return true;
  }
}
