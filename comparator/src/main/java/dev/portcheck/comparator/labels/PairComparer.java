package dev.portcheck.comparator.labels;

import dev.portcheck.comparator.labels.NameShift.CountText;
import dev.portcheck.comparator.labels.OutputAligner.Alignment;
import dev.portcheck.comparator.labels.OutputAligner.Kind;
import java.nio.file.Path;
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

  /** Judges the pair; a label file whose length is off is a verdict, never an exception. */
  LabelPair compare() {
    String nonFinite = nonFinite(a);
    if (nonFinite == null) {
      nonFinite = nonFinite(b);
    }
    if (nonFinite != null) {
      return withCounts(
          pair(
              LabelVerdict.INCONCLUSIVE,
              null,
              null,
              nonFinite + ": labels cannot be compared; fix the numeric problem first",
              List.of()),
          byPosition());
    }
    OutputAligner aligner = new OutputAligner(scores, a.scores(), b.scores());
    Alignment al = aligner.find();
    if (al == null) {
      return withCounts(
          unaligned(aligner.ambiguity(), aligner.sameScoresReordered()), byPosition());
    }
    List<int[]> pairs = al.pairs();
    NameShift names = new NameShift(a, b, pairs);
    NameShift.Shift shift = names.find();
    List<CountText> counts = names.counts(shift);
    if (shift == null) {
      return unexplained(
          al.kind() == Kind.PERMUTATION ? permuted(al, pairs) : mismatch(al, pairs), counts);
    }
    if (shift.s() != 0) {
      return offset(shift.x(), shift.s(), al, pairs, names, counts);
    }
    return counts.isEmpty() ? consistent(al) : countMismatch(al, pairs, counts);
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

  private LabelPair consistent(Alignment al) {
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
    h.append('.');
    appendRanksNote(h, al);
    return pair(
        LabelVerdict.CONSISTENT,
        null,
        al.kind() == Kind.PERMUTATION ? boxed(al.map()) : null,
        h.toString(),
        List.of());
  }

  private LabelPair offset(
      ScoredModel x,
      int s,
      Alignment al,
      List<int[]> pairs,
      NameShift names,
      List<CountText> counts) {
    ScoredModel other = x == a ? b : a;
    int k = Math.abs(s);
    LabelFile f = x.labels();
    String sizes = f.size() + " names for " + x.classes() + " outputs";
    String entries = k == 1 ? "entry" : "entries";
    StringBuilder h = new StringBuilder("every name ").append(x.id()).append(" reports is off by ");
    h.append(k).append(" compared with ").append(other.id()).append(": ");
    if (s < 0) {
      h.append(f.fileName())
          .append(" (")
          .append(sizes)
          .append(") lacks ")
          .append(k)
          .append(" leading ")
          .append(entries)
          .append(" that ")
          .append(x.id())
          .append("'s outputs have, so output i+")
          .append(k)
          .append(" is the class at ")
          .append(f.position(0).startsWith("line") ? "line i+1" : "index i");
      // The evidence decides what is missing: a name the other model gives the same output, or
      // (when the other model has no such output) a leading class such as TF-slim's background.
      List<String> missing = names.otherNames(x, 0, k);
      if (missing == null) {
        h.append(" (")
            .append(x.id())
            .append("'s first ")
            .append(k == 1 ? "output has" : k + " outputs have")
            .append(" no counterpart in ")
            .append(other.id())
            .append(": a background class, as in TF-slim models). Add ")
            .append(k)
            .append(" leading ")
            .append(entries)
            .append(" (e.g. 'background') to ");
      } else {
        h.append(" (")
            .append(other.id())
            .append(" calls ")
            .append(k == 1 ? "output 0 " : "outputs 0-" + (k - 1) + " ")
            .append(NameShift.quoted(missing))
            .append("). Add ")
            .append(NameShift.quoted(missing))
            .append(" at the start of ");
      }
      h.append(f.fileName()).append('.');
    } else {
      h.append(f.fileName())
          .append(" (")
          .append(sizes)
          .append(") has ")
          .append(k)
          .append(" extra leading ")
          .append(entries)
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
    // The shifted file's leading difference is told above; anything else about counts follows.
    List<CountText> rest =
        counts.stream().filter(c -> c.model() != x || c.count().end() != 0).toList();
    if (!rest.isEmpty()) {
      h.append(' ').append(countSentences(rest, ": ")).append(' ').append(fixes(rest));
    }
    appendRanksNote(h, al);
    return pair(LabelVerdict.OFFSET, k, null, h.toString(), probes.examples(pairs), counts);
  }

  private LabelPair countMismatch(Alignment al, List<int[]> pairs, List<CountText> counts) {
    StringBuilder h = new StringBuilder(countSentences(counts, ": "));
    h.append(" Otherwise the names line up with ")
        .append(
            counts.size() == 2 ? "each other" : (counts.get(0).model() == a ? b : a).id() + "'s")
        .append(" position by position. ")
        .append(fixes(counts));
    if (al.kind() == Kind.LEADING || al.kind() == Kind.TRAILING) {
      h.append(" Outputs agree after a shift: ").append(extraOutputs(al)).append('.');
    }
    appendRanksNote(h, al);
    List<String> examples = new ArrayList<>(probes.examples(pairs));
    for (CountText c : counts) {
      ScoredModel m = c.model();
      // An extra trailing name is never a probe's winner: show where it is instead.
      for (int i = m.classes(); i < m.labels().size() && examples.size() < 3; i++) {
        examples.add(
            m.labels().fileName()
                + " "
                + m.labels().position(i)
                + " '"
                + m.labels().names().get(i)
                + "' names no output of "
                + m.id()
                + " (it has "
                + m.classes()
                + ")");
      }
    }
    return pair(
        LabelVerdict.COUNT_MISMATCH,
        null,
        al.kind() == Kind.PERMUTATION ? boxed(al.map()) : null,
        h.toString(),
        examples,
        counts);
  }

  /** A verdict made on outputs that could not be matched, with what the names alone show. */
  private LabelPair withCounts(LabelPair p, List<CountText> counts) {
    if (counts.isEmpty()) {
      return p;
    }
    String count =
        countSentences(counts, ": ")
            + " (the names compared position by position, as the outputs could not be matched). "
            + fixes(counts);
    if (p.verdict() == LabelVerdict.CONSISTENT || p.verdict() == LabelVerdict.INCONCLUSIVE) {
      return pair(
          LabelVerdict.COUNT_MISMATCH,
          null,
          p.permutation(),
          count + " Apart from that, " + p.hint(),
          p.examples(),
          counts);
    }
    return pair(
        p.verdict(), p.offset(), p.permutation(), p.hint() + " " + count, p.examples(), counts);
  }

  /** A mismatch or permutation where a file's length is off too and no shift explains it. */
  private LabelPair unexplained(LabelPair p, List<CountText> counts) {
    if (counts.isEmpty()) {
      return p;
    }
    return pair(
        p.verdict(),
        p.offset(),
        p.permutation(),
        countSentences(counts, ", and ")
            + " Check that each label file belongs to its model. Moreover, "
            + p.hint(),
        p.examples(),
        counts);
  }

  /** Sentences such as "l9.txt has 9 names for the 10 outputs of m1: the last name is missing". */
  private static String countSentences(List<CountText> counts, String joiner) {
    List<String> out = new ArrayList<>();
    for (CountText c : counts) {
      LabelCount n = c.count();
      Path f = n.file().getFileName();
      out.add(
          (f == null ? n.file() : f)
              + " has "
              + n.names()
              + " names for the "
              + n.outputs()
              + " outputs of "
              + n.model()
              + joiner
              + n.description()
              + ".");
    }
    return String.join(" ", out);
  }

  private static String fixes(List<CountText> counts) {
    return String.join(
        " ", counts.stream().map(CountText::fix).filter(f -> f != null && !f.isEmpty()).toList());
  }

  /** The count differences seen from the names alone, position by position. */
  private List<CountText> byPosition() {
    if (NameShift.fits(a) && NameShift.fits(b)) {
      return List.of();
    }
    List<int[]> same = new ArrayList<>();
    for (int i = 0; i < Math.min(a.classes(), b.classes()); i++) {
      same.add(new int[] {i, i});
    }
    NameShift names = new NameShift(a, b, same);
    return names.counts(names.find());
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
    return pair(v, offset, perm, hint, examples, List.of());
  }

  private LabelPair pair(
      LabelVerdict v,
      Integer offset,
      List<Integer> perm,
      String hint,
      List<String> examples,
      List<CountText> counts) {
    return new LabelPair(
        List.of(a.id(), b.id()),
        v,
        offset,
        perm,
        hint,
        examples,
        counts.stream().map(CountText::count).toList());
  }
}
