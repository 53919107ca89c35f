package dev.portcheck.comparator.labels;

import dev.portcheck.comparator.labels.OutputAligner.Alignment;
import dev.portcheck.comparator.labels.OutputAligner.Kind;
import dev.portcheck.importers.api.PortcheckException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/** Judges one pair of models: aligns their outputs, then compares the names of aligned outputs. */
final class PairComparer {
  private final Scores scores;
  private final ScoredModel a;
  private final ScoredModel b;
  private final ProbeNames probes;

  PairComparer(Scores scores, ScoredModel a, ScoredModel b, List<String> probeNames) {
    this.scores = scores;
    this.a = a;
    this.b = b;
    this.probes = new ProbeNames(scores, a, b, probeNames);
  }

  /**
   * A label-count mismatch that no shift explains for this pair; {@link LabelChecker} decides
   * whether it is an error (no other pair explains it either) or this pair's {@code fallback}.
   */
  static final class UnexplainedCount extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient PortcheckException error;
    final transient LabelPair fallback;

    UnexplainedCount(PortcheckException error, LabelPair fallback) {
      super(error.getMessage(), null, false, false);
      this.error = error;
      this.fallback = fallback;
    }
  }

  /**
   * Judges the pair.
   *
   * @throws UnexplainedCount if a label file's length differs from its model's outputs and no shift
   *     lines its names up with the other model's
   */
  LabelPair compare() {
    String nonFinite = nonFinite(a);
    if (nonFinite == null) {
      nonFinite = nonFinite(b);
    }
    if (nonFinite != null) {
      return pair(
          LabelVerdict.INCONCLUSIVE,
          null,
          null,
          nonFinite + ": labels cannot be compared; fix the numeric problem first",
          List.of());
    }
    OutputAligner aligner = new OutputAligner(scores, a.scores(), b.scores());
    Alignment al = aligner.find();
    if (al == null) {
      return unaligned(aligner.ambiguity(), aligner.sameScoresReordered());
    }
    List<int[]> pairs = al.pairs();
    if (namesAgree(pairs)) {
      return consistent(al, pairs);
    }
    for (ScoredModel x : blameOrder()) {
      Integer s = labelShift(x, pairs);
      if (s != null) {
        return offset(x, s, al, pairs);
      }
    }
    if (a.labels().size() != a.classes() || b.labels().size() != b.classes()) {
      throw new UnexplainedCount(
          unexplainedCount(pairs),
          pair(
              LabelVerdict.MISMATCH,
              null,
              null,
              unexplainedCount(pairs).getMessage(),
              probes.examples(pairs)));
    }
    return al.kind() == Kind.PERMUTATION ? permuted(al, pairs) : mismatch(al, pairs);
  }

  // ---- verdicts ----------------------------------------------------------------------------

  private LabelPair unaligned(String ambiguity, boolean reordered) {
    List<String> disagreements = probes.disagreements();
    if (reordered && ambiguity != null && !disagreements.isEmpty()) {
      return pair(
          LabelVerdict.PERMUTED,
          null,
          null,
          b.id()
              + "'s outputs are "
              + a.id()
              + "'s reordered (every probe gives the same scores in another order) and the names"
              + " do not follow, but the reordering cannot be recovered: "
              + ambiguity
              + ". Rerun with more (and more varied) probe inputs to get the permutation.",
          disagreements);
    }
    String why =
        a.classes() != b.classes()
            ? a.id()
                + " has "
                + a.classes()
                + " outputs and "
                + b.id()
                + " "
                + b.classes()
                + ", and neither a leading nor a trailing shift makes their scores agree"
            : ambiguity != null
                ? "their scores agree only after a reordering that cannot be recovered: "
                    + ambiguity
                    + "; rerun with more (and more varied) probe inputs"
                : "their scores agree neither index by index, nor after a shift or a reordering";
    if (disagreements.isEmpty() && probes.top5Agree()) {
      return pair(
          LabelVerdict.CONSISTENT,
          null,
          null,
          "judged by names only: every probe's top-1 and top-5 classes have the same names in"
              + " both models, but "
              + why
              + ".",
          List.of());
    }
    return pair(
        LabelVerdict.INCONCLUSIVE,
        null,
        null,
        "cannot tell a label problem from a numeric one: "
            + why
            + ". Fix the numeric divergence first (see the layer comparison).",
        disagreements);
  }

  private LabelPair consistent(Alignment al, List<int[]> pairs) {
    StringBuilder h = new StringBuilder();
    switch (al.kind()) {
      case IDENTITY ->
          h.append("outputs agree index by index and both label files name them alike");
      case LEADING, TRAILING -> h.append(extraOutputs(al)).append("; the labels account for it");
      case PERMUTATION ->
          h.append("outputs are permuted (")
              .append(a.id())
              .append(" output i is ")
              .append(b.id())
              .append(" output permutation[i]), but the labels follow: ")
              .append(b.labels().fileName())
              .append(" is reordered the same way, so every class keeps its name");
    }
    long unnamed =
        pairs.stream().filter(p -> a.nameOf(p[0]) == null && b.nameOf(p[1]) == null).count();
    if (unnamed > 0) {
      h.append("; ").append(unnamed).append(" shared output(s) have no name in either file");
    }
    h.append('.');
    appendRanksNote(h, al);
    appendCountNote(h, a);
    appendCountNote(h, b);
    return pair(
        LabelVerdict.CONSISTENT,
        null,
        al.kind() == Kind.PERMUTATION ? boxed(al.map()) : null,
        h.toString(),
        List.of());
  }

  private LabelPair offset(ScoredModel x, int s, Alignment al, List<int[]> pairs) {
    ScoredModel other = x == a ? b : a;
    int k = Math.abs(s);
    LabelFile f = x.labels();
    String counts = f.size() + " names for " + x.classes() + " outputs";
    StringBuilder h = new StringBuilder("every name ").append(x.id()).append(" reports is off by ");
    h.append(k).append(" compared with ").append(other.id()).append(": ");
    if (s < 0) {
      h.append(f.fileName())
          .append(" (")
          .append(counts)
          .append(") lacks ")
          .append(k)
          .append(" leading entr")
          .append(k == 1 ? "y" : "ies")
          .append(" that ")
          .append(x.id())
          .append("'s outputs have, so output i+")
          .append(k)
          .append(" is the class at ")
          .append(f.position(0).startsWith("line") ? "line i+1" : "index i")
          .append(" (typically a background class at output 0, as in TF-slim models). Add ")
          .append(k)
          .append(" leading entr")
          .append(k == 1 ? "y" : "ies")
          .append(" (e.g. 'background') to ")
          .append(f.fileName())
          .append('.');
    } else {
      h.append(f.fileName())
          .append(" (")
          .append(counts)
          .append(") has ")
          .append(k)
          .append(" extra leading entr")
          .append(k == 1 ? "y" : "ies")
          .append(" (")
          .append(quoted(f.names().subList(0, Math.min(k, Math.min(3, f.size())))))
          .append(") that ")
          .append(x.id())
          .append("'s outputs do not have, so output i is the entry at ")
          .append(f.position(0).startsWith("line") ? "line i+" + (k + 1) : "index i+" + k)
          .append(". Remove the first ")
          .append(k == 1 ? "entry" : k + " entries")
          .append(" of ")
          .append(f.fileName())
          .append(", or use the label file made for ")
          .append(x.id())
          .append('.');
    }
    if (al.kind() == Kind.LEADING || al.kind() == Kind.TRAILING) {
      h.append(" Outputs agree after a shift: ").append(extraOutputs(al)).append('.');
    }
    appendRanksNote(h, al);
    return pair(LabelVerdict.OFFSET, k, null, h.toString(), probes.examples(pairs));
  }

  private LabelPair permuted(Alignment al, List<int[]> pairs) {
    int[] perm = al.map();
    int moved = 0;
    for (int i = 0; i < perm.length; i++) {
      moved += perm[i] != i ? 1 : 0;
    }
    StringBuilder h =
        new StringBuilder(b.id())
            .append("'s outputs are ")
            .append(a.id())
            .append("'s reordered (")
            .append(moved)
            .append(" of ")
            .append(perm.length)
            .append(" moved; recovered from the scores of ")
            .append(a.scores().length)
            .append(" probe(s)), and its label file does not follow: ");
    if (a.labels().names().equals(b.labels().names())) {
      h.append("both use the same names in the same order, so a moved class is reported under")
          .append(" another class's name. The port reordered the classifier's output rows: fix the")
          .append(" export, or reorder ")
          .append(b.labels().fileName())
          .append(" so that entry permutation[i] is ")
          .append(a.id())
          .append("'s name i.");
    } else {
      h.append(b.labels().fileName())
          .append(" is in an order that does not match the reordering; entry permutation[i]")
          .append(" should be ")
          .append(a.id())
          .append("'s name i.");
    }
    appendRanksNote(h, al);
    return pair(LabelVerdict.PERMUTED, null, boxed(perm), h.toString(), probes.examples(pairs));
  }

  private LabelPair mismatch(Alignment al, List<int[]> pairs) {
    List<String> na = new ArrayList<>();
    List<String> nb = new ArrayList<>();
    for (int[] p : pairs) {
      na.add(a.nameOf(p[0]));
      nb.add(b.nameOf(p[1]));
    }
    int differ = 0;
    int firstDiff = -1;
    for (int i = 0; i < na.size(); i++) {
      if (!Objects.equals(na.get(i), nb.get(i))) {
        differ++;
        firstDiff = firstDiff < 0 ? i : firstDiff;
      }
    }
    String fa = a.labels().fileName();
    String fb = b.labels().fileName();
    StringBuilder h =
        new StringBuilder("outputs agree ")
            .append(al.kind() == Kind.IDENTITY ? "index by index" : "after a shift")
            .append(" but the label files name them differently: ");
    if (sortedCopy(na).equals(sortedCopy(nb))) {
      if (!na.equals(nb) && LabelLint.isAlphabetical(nb) && !LabelLint.isAlphabetical(na)) {
        h.append(b.id()).append("'s labels are ").append(a.id());
        h.append(
            "'s sorted alphabetically: someone probably listed and sorted class folders. Put ");
        h.append(fb).append(" in the order of ").append(fa).append('.');
      } else if (LabelLint.isAlphabetical(na) && !LabelLint.isAlphabetical(nb)) {
        h.append(a.id()).append("'s labels are ").append(b.id());
        h.append(
            "'s sorted alphabetically: someone probably listed and sorted class folders. Put ");
        h.append(fa).append(" in the order of ").append(fb).append('.');
      } else {
        h.append("the same ").append(na.size()).append(" names in another order (");
        h.append(differ).append(" positions differ); one file is in the wrong order.");
      }
    } else {
      Set<String> common = new HashSet<>(na);
      common.retainAll(new HashSet<>(nb));
      common.remove(null);
      if (common.isEmpty()) {
        h.append(fa).append(" and ").append(fb);
        h.append(" share no name: one is probably the label file of another dataset.");
      } else {
        int[] p = pairs.get(firstDiff);
        h.append(differ).append(" of ").append(na.size()).append(" outputs are named differently");
        h.append(" (e.g. output ").append(p[0]).append(": ").append(a.shownName(p[0]));
        h.append(" in ").append(fa).append(", ").append(b.shownName(p[1]));
        h.append(" in ").append(fb).append(").");
      }
    }
    appendRanksNote(h, al);
    return pair(LabelVerdict.MISMATCH, null, null, h.toString(), probes.examples(pairs));
  }

  private PortcheckException unexplainedCount(List<int[]> pairs) {
    List<String> files = new ArrayList<>();
    for (ScoredModel m : List.of(a, b)) {
      if (m.labels().size() != m.classes()) {
        files.add(
            m.labels().source()
                + " has "
                + m.labels().size()
                + " names for the "
                + m.classes()
                + " outputs of "
                + m.id());
      }
    }
    int max = maxShift();
    int[] p = pairs.get(0);
    return PortcheckException.usage(
        String.join("; ", files)
            + ", and no shift explains it: over the "
            + pairs.size()
            + " outputs the two models share, the names of "
            + a.id()
            + " ("
            + a.labels().fileName()
            + ") and "
            + b.id()
            + " ("
            + b.labels().fileName()
            + ") do not line up as they are nor shifted by 1"
            + (max > 1 ? " to " + max : "")
            + " entries either way (e.g. shared output "
            + p[0]
            + ": "
            + a.shownName(p[0])
            + " vs "
            + b.shownName(p[1])
            + "). Check that each label file belongs to its model.");
  }

  // ---- names -------------------------------------------------------------------------------

  private boolean namesAgree(List<int[]> pairs) {
    for (int[] p : pairs) {
      if (!Objects.equals(a.nameOf(p[0]), b.nameOf(p[1]))) {
        return false;
      }
    }
    return true;
  }

  /** The model whose label file is more likely wrong comes first: the one whose count is off. */
  private List<ScoredModel> blameOrder() {
    boolean aOff = a.labels().size() != a.classes();
    boolean bOff = b.labels().size() != b.classes();
    if (aOff && !bOff) {
      return List.of(a);
    }
    if (bOff && !aOff) {
      return List.of(b);
    }
    return List.of(b, a);
  }

  private int maxShift() {
    int m = 1;
    m = Math.max(m, Math.abs(a.labels().size() - a.classes()));
    m = Math.max(m, Math.abs(b.labels().size() - b.classes()));
    m = Math.max(m, Math.abs(a.labels().size() - b.labels().size()));
    return Math.max(m, Math.abs(a.classes() - b.classes()));
  }

  /**
   * The smallest non-zero s such that x's entry {@code c+s} names x's output c as the other model
   * names it, over all shared outputs but the |s| that fall off the file; null if none.
   */
  private Integer labelShift(ScoredModel x, List<int[]> pairs) {
    int max = maxShift();
    for (int d = 1; d <= max; d++) {
      for (int s : new int[] {-d, d}) {
        if (shiftWorks(x, s, pairs)) {
          return s;
        }
      }
    }
    return null;
  }

  private boolean shiftWorks(ScoredModel x, int s, List<int[]> pairs) {
    int covered = 0;
    for (int[] p : pairs) {
      int cx = x == a ? p[0] : p[1];
      String other = x == a ? b.nameOf(p[1]) : a.nameOf(p[0]);
      String mine = x.nameOf(cx + s);
      if (mine == null || other == null) {
        continue;
      }
      if (!mine.equals(other)) {
        return false;
      }
      covered++;
    }
    return covered >= Math.max(2, pairs.size() - Math.abs(s));
  }

  // ---- helpers -----------------------------------------------------------------------------

  private String extraOutputs(Alignment al) {
    ScoredModel big = al.extraInSecond() ? b : a;
    int k = al.extra();
    boolean leading = al.kind() == Kind.LEADING;
    int first = leading ? 0 : big.classes() - k;
    List<String> extraNames = new ArrayList<>();
    for (int c = first; c < first + Math.min(k, 3); c++) {
      extraNames.add(big.shownName(c));
    }
    return big.id()
        + " has "
        + k
        + " extra "
        + (leading ? "leading" : "trailing")
        + (k == 1 ? " output, index " + first : " outputs, from index " + first)
        + ", which its label file calls "
        + String.join(", ", extraNames)
        + (k > 3 ? ", ..." : "");
  }

  private void appendRanksNote(StringBuilder h, Alignment al) {
    if (!al.exact()) {
      h.append(
          String.format(
              Locale.ROOT,
              " Scores differ by up to %.3g (beyond atol %.1g + rtol %.1g), so outputs were"
                  + " aligned by their top-1/top-5 ranking; see the numeric comparison.",
              al.maxDiff(),
              scores.atol(),
              scores.rtol()));
    }
  }

  private static void appendCountNote(StringBuilder h, ScoredModel m) {
    if (m.labels().size() != m.classes()) {
      h.append(" Note: ")
          .append(m.labels().fileName())
          .append(" has ")
          .append(m.labels().size())
          .append(" names for the ")
          .append(m.classes())
          .append(" outputs of ")
          .append(m.id())
          .append(" (see the label lint).");
    }
  }

  private static String nonFinite(ScoredModel m) {
    float[][] s = m.scores();
    for (int p = 0; p < s.length; p++) {
      for (int c = 0; c < s[p].length; c++) {
        if (!Float.isFinite(s[p][c])) {
          return m.id() + "'s output " + c + " is " + s[p][c] + " on probe " + p;
        }
      }
    }
    return null;
  }

  private static List<String> sortedCopy(List<String> names) {
    List<String> c = new ArrayList<>(names);
    c.sort(java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()));
    return c;
  }

  private static String quoted(List<String> names) {
    return String.join(", ", names.stream().map(n -> "'" + n + "'").toList());
  }

  private static List<Integer> boxed(int[] values) {
    return Arrays.stream(values).boxed().toList();
  }

  private LabelPair pair(
      LabelVerdict v, Integer offset, List<Integer> perm, String hint, List<String> examples) {
    return new LabelPair(List.of(a.id(), b.id()), v, offset, perm, hint, examples);
  }
}
