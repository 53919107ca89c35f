package dev.portcheck.comparator.labels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Compares two models probe by probe by the names of their winning classes, which needs no output
 * alignment, and phrases the concrete examples a person reads first.
 */
final class ProbeNames {
  private static final int MAX_EXAMPLES = 3;

  private final Scores scores;
  private final ScoredModel a;
  private final ScoredModel b;
  private final List<String> probeNames;

  ProbeNames(Scores scores, ScoredModel a, ScoredModel b, List<String> probeNames) {
    this.scores = scores;
    this.a = a;
    this.b = b;
    this.probeNames = probeNames;
  }

  /** Probes whose winners are named differently; else outputs named differently. */
  List<String> examples(List<int[]> pairs) {
    List<String> out = disagreements();
    if (!out.isEmpty()) {
      return out;
    }
    for (int[] p : pairs) {
      if (out.size() == MAX_EXAMPLES) {
        break;
      }
      if (!Objects.equals(a.nameOf(p[0]), b.nameOf(p[1]))) {
        out.add(
            "no probe's winner differs, but "
                + a.id()
                + " output "
                + p[0]
                + " ("
                + a.shownName(p[0])
                + ") is "
                + b.id()
                + " output "
                + p[1]
                + ", named "
                + b.shownName(p[1]));
      }
    }
    return out;
  }

  List<String> disagreements() {
    List<String> out = new ArrayList<>();
    for (int p = 0; p < a.scores().length && out.size() < MAX_EXAMPLES; p++) {
      Set<String> ta = names(a, topTies(a.scores()[p]));
      Set<String> tb = names(b, topTies(b.scores()[p]));
      ta.retainAll(tb);
      if (ta.isEmpty()) {
        int wa = Scores.argmax(a.scores()[p]);
        int wb = Scores.argmax(b.scores()[p]);
        out.add(
            probe(p)
                + ": "
                + a.id()
                + " says "
                + a.shownName(wa)
                + ", "
                + b.id()
                + " says "
                + b.shownName(wb));
      }
    }
    return out;
  }

  boolean top5Agree() {
    for (int p = 0; p < a.scores().length; p++) {
      float[] ra = a.scores()[p];
      float[] rb = b.scores()[p];
      int ka = Math.min(Scores.TOP_K, ra.length);
      int kb = Math.min(Scores.TOP_K, rb.length);
      if (!names(b, scores.topKWithTies(rb, kb)).containsAll(names(a, Scores.topK(ra, ka)))
          || !names(a, scores.topKWithTies(ra, ka)).containsAll(names(b, Scores.topK(rb, kb)))) {
        return false;
      }
    }
    return true;
  }

  private int[] topTies(float[] row) {
    float max = row[Scores.argmax(row)];
    int[] idx = new int[row.length];
    int n = 0;
    for (int i = 0; i < row.length; i++) {
      if (scores.atLeast(row[i], max)) {
        idx[n++] = i;
      }
    }
    return Arrays.copyOf(idx, n);
  }

  /** Names of outputs; an unnamed output gets a token no other model's name can equal. */
  private static Set<String> names(ScoredModel m, int[] outputs) {
    Set<String> out = new HashSet<>();
    for (int c : outputs) {
      String n = m.nameOf(c);
      out.add(n != null ? n : "\u0000" + m.id() + "#" + c);
    }
    return out;
  }

  private String probe(int p) {
    return probeNames != null && p < probeNames.size()
        ? "probe '" + probeNames.get(p) + "'"
        : "probe " + p;
  }
}
