package dev.portcheck.comparator.measure;

import dev.portcheck.importers.api.Layout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds how to read another model's activation in the reference model's element order: as is, a
 * channels-last/channels-first transpose, or with size-1 dimensions squeezed.
 *
 * @param description shown in reports ({@code identity}, {@code transpose(0,3,1,2)}, {@code
 *     squeeze})
 * @param permutation the transpose to apply to the other tensor, or null
 */
record LayoutMatch(String description, int[] permutation) {

  static final LayoutMatch IDENTITY = new LayoutMatch("identity", null);

  /** The first reading that makes {@code other} agree with {@code ref}, or null when none does. */
  static LayoutMatch find(long[] ref, Layout refLayout, long[] other, Layout otherLayout) {
    List<int[]> perms = new ArrayList<>();
    int r = other.length;
    // A declared layout difference wins over an identity that only fits by accident (C == H).
    boolean declaredSwap =
        (refLayout == Layout.NCHW && otherLayout == Layout.NHWC)
            || (refLayout == Layout.NHWC && otherLayout == Layout.NCHW);
    // Scalars and vectors (shapes, counters) have no channel axis to move.
    int[] toFirst = r >= 3 ? channelsLastToFirst(r) : null;
    int[] toLast = r >= 3 ? channelsFirstToLast(r) : null;
    if (declaredSwap && r >= 3) {
      perms.add(refLayout == Layout.NCHW ? toFirst : toLast);
    }
    perms.add(null);
    if (r >= 3) {
      perms.add(toFirst);
      perms.add(toLast);
    }
    for (int[] p : perms) {
      long[] s = p == null ? other : permute(other, p);
      if (Arrays.equals(s, ref)) {
        return p == null ? IDENTITY : new LayoutMatch(describe(p), p);
      }
    }
    for (int[] p : perms) {
      long[] s = p == null ? other : permute(other, p);
      if (Arrays.equals(squeeze(s), squeeze(ref))) {
        return new LayoutMatch(p == null ? "squeeze" : describe(p) + "+squeeze", p);
      }
    }
    return null;
  }

  private static int[] channelsLastToFirst(int r) {
    int[] p = new int[r];
    p[0] = 0;
    p[1] = r - 1;
    for (int i = 2; i < r; i++) {
      p[i] = i - 1;
    }
    return p;
  }

  private static int[] channelsFirstToLast(int r) {
    int[] p = new int[r];
    p[0] = 0;
    for (int i = 1; i < r - 1; i++) {
      p[i] = i + 1;
    }
    p[r - 1] = 1;
    return p;
  }

  static long[] permute(long[] s, int[] p) {
    long[] o = new long[s.length];
    for (int i = 0; i < s.length; i++) {
      o[i] = s[p[i]];
    }
    return o;
  }

  static long[] squeeze(long[] s) {
    return Arrays.stream(s).filter(d -> d != 1).toArray();
  }

  static String describe(int[] p) {
    StringBuilder b = new StringBuilder("transpose(");
    for (int i = 0; i < p.length; i++) {
      b.append(i == 0 ? "" : ",").append(p[i]);
    }
    return b.append(')').toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LayoutMatch m
        && description.equals(m.description)
        && Arrays.equals(permutation, m.permutation);
  }

  @Override
  public int hashCode() {
    return description.hashCode();
  }

  @Override
  public String toString() {
    return description;
  }
}
