package dev.portcheck.comparator.labels;

import java.util.ArrayList;
import java.util.List;

/**
 * Lines up two models' label files over their matched outputs: as they are, or with one file
 * shifted by k entries; and, for a file whose length differs from its model's output count, says
 * from that evidence which end has names missing or to spare.
 *
 * <p>Why evidence rather than a rule: a file one name short of its model is as often missing its
 * last name as a TF-slim background entry at the start, and the two need opposite fixes. Comparing
 * the names with the other model's, position by position, tells them apart: if they line up as they
 * are, the difference is at the end; if they line up shifted, at the start.
 */
final class NameShift {
  /** Messages name at most this many missing or extra names. */
  private static final int MAX_NAMES_SHOWN = 3;

  /**
   * How the files line up: {@code x}'s entry {@code c + s} names {@code x}'s output {@code c} as
   * the other model names the output matched with it; {@code s == 0} (and {@code x} null) when the
   * files line up as they are.
   */
  record Shift(ScoredModel x, int s) {}

  /** A count difference of {@code model}'s file, and how to fix it (null when unlocated). */
  record CountText(ScoredModel model, LabelCount count, String fix) {}

  private final ScoredModel a;
  private final ScoredModel b;
  private final List<int[]> pairs;

  /**
   * @param pairs matched outputs: {@code {output of a, output of b}}
   */
  NameShift(ScoredModel a, ScoredModel b, List<int[]> pairs) {
    this.a = a;
    this.b = b;
    this.pairs = pairs;
  }

  /**
   * The smallest shift under which every output both files name gets the same name in both (and at
   * least two do, when two are matched), trying the file whose length is off first; null if none.
   */
  Shift find() {
    if (works(null, 0)) {
      return new Shift(null, 0);
    }
    int max = maxShift();
    for (ScoredModel x : blameOrder()) {
      for (int d = 1; d <= max; d++) {
        for (int s : new int[] {-d, d}) {
          if (works(x, s)) {
            return new Shift(x, s);
          }
        }
      }
    }
    return null;
  }

  /** Whether a model's label file holds as many names as it has outputs. */
  static boolean fits(ScoredModel m) {
    return m.labels().size() == m.classes();
  }

  /**
   * The count differences of the two files, located by {@code shift} (null: the names line up under
   * no shift, so only the counts are known).
   */
  List<CountText> counts(Shift shift) {
    List<CountText> out = new ArrayList<>();
    for (ScoredModel m : List.of(a, b)) {
      if (fits(m)) {
        continue;
      }
      if (shift == null) {
        out.add(new CountText(m, count(m, null, null, unlocated(m)), null));
        continue;
      }
      int start = shift.x() == m ? shift.s() : 0;
      int end = m.labels().size() - start - m.classes();
      List<String> what = new ArrayList<>();
      List<String> fixes = new ArrayList<>();
      if (start > 0) {
        extraAtStart(m, start, what, fixes);
      } else if (start < 0) {
        missingAtStart(m, -start, what, fixes);
      }
      if (end > 0) {
        extraAtEnd(m, end, what, fixes);
      } else if (end < 0) {
        missingAtEnd(m, -end, what, fixes);
      }
      out.add(
          new CountText(
              m, count(m, start, end, String.join(", and ", what)), String.join(" ", fixes)));
    }
    return out;
  }

  /** The names the other model gives {@code m}'s outputs {@code from..to-1}; null if unmatched. */
  List<String> otherNames(ScoredModel m, int from, int to) {
    List<String> names = new ArrayList<>();
    for (int c = from; c < to; c++) {
      String n = otherName(m, c);
      if (n == null) {
        return null;
      }
      names.add(n);
    }
    return names;
  }

  // ---- the four kinds ----------------------------------------------------------------------

  private void extraAtStart(ScoredModel m, int k, List<String> what, List<String> fixes) {
    List<String> extra = m.labels().names().subList(0, k);
    StringBuilder w = new StringBuilder(k == 1 ? "an extra name" : k + " extra names");
    w.append(" at the start (").append(quoted(extra)).append(')');
    if (LabelLint.isBackground(extra.get(0))) {
      w.append(": a background class ").append(m.id()).append("'s outputs do not have");
    }
    w.append(", so every name is off by ").append(k);
    what.add(w.toString());
    fixes.add("Remove the first " + entries(m, k) + " of " + m.labels().fileName() + ".");
  }

  private void missingAtStart(ScoredModel m, int k, List<String> what, List<String> fixes) {
    ScoredModel other = other(m);
    List<String> names = otherNames(m, 0, k);
    String first = k == 1 ? "the first name is missing" : "the first " + k + " names are missing";
    if (names == null) {
      what.add(
          first
              + ": "
              + m.id()
              + "'s "
              + outputs(0, k)
              + " ha"
              + (k == 1 ? "s" : "ve")
              + " no counterpart in "
              + other.id()
              + " (leading background or unused classes, as TF-slim models have), so every name is"
              + " off by "
              + k);
      fixes.add(
          "Add "
              + k
              + " leading "
              + entries(m, k)
              + " (e.g. 'background') to "
              + m.labels().fileName()
              + ".");
    } else {
      what.add(
          first
              + " ("
              + other.id()
              + " calls "
              + outputs(0, k)
              + " "
              + quoted(names)
              + "), so every name is off by "
              + k);
      fixes.add(
          "Add "
              + shown(names)
              + " as the first "
              + entries(m, k)
              + " of "
              + m.labels().fileName()
              + ".");
    }
  }

  private void extraAtEnd(ScoredModel m, int k, List<String> what, List<String> fixes) {
    List<String> names = m.labels().names();
    List<String> extra = names.subList(names.size() - k, names.size());
    what.add(
        (k == 1 ? "an extra name" : k + " extra names")
            + " at the end ("
            + quoted(extra)
            + "), naming no output of "
            + m.id());
    fixes.add(
        "Remove the last "
            + entries(m, k)
            + " of "
            + m.labels().fileName()
            + ", or check that the file belongs to this model.");
  }

  private void missingAtEnd(ScoredModel m, int k, List<String> what, List<String> fixes) {
    ScoredModel other = other(m);
    int from = m.classes() - k;
    List<String> names = otherNames(m, from, m.classes());
    String last = k == 1 ? "the last name is missing" : "the last " + k + " names are missing";
    if (names == null) {
      what.add(
          last
              + ": "
              + m.id()
              + "'s "
              + outputs(from, m.classes())
              + " ha"
              + (k == 1 ? "s" : "ve")
              + " no name and no counterpart in "
              + other.id());
      fixes.add(
          "Name "
              + outputs(from, m.classes())
              + " at the end of "
              + m.labels().fileName()
              + ", or check that the model should have "
              + (k == 1 ? "it" : "them")
              + ".");
    } else {
      what.add(
          last
              + " ("
              + other.id()
              + " calls "
              + outputs(from, m.classes())
              + " "
              + quoted(names)
              + ")");
      fixes.add("Add " + shown(names) + " at the end of " + m.labels().fileName() + ".");
    }
  }

  private String unlocated(ScoredModel m) {
    ScoredModel other = other(m);
    String e = "";
    for (int[] p : pairs) {
      String na = a.nameOf(p[0]);
      String nb = b.nameOf(p[1]);
      if (na != null && nb != null && !na.equals(nb)) {
        e =
            " (e.g. output "
                + (m == a ? p[0] : p[1])
                + ": "
                + (m == a ? a : b).shownName(m == a ? p[0] : p[1])
                + " in "
                + m.labels().fileName()
                + ", "
                + (m == a ? b : a).shownName(m == a ? p[1] : p[0])
                + " in "
                + other.labels().fileName()
                + ")";
        break;
      }
    }
    int max = maxShift();
    return "its names line up with "
        + other.id()
        + "'s ("
        + other.labels().fileName()
        + ") neither as they are nor shifted by 1"
        + (max > 1 ? " to " + max : "")
        + (max > 1 ? " entries" : " entry")
        + " either way"
        + e;
  }

  // ---- helpers -----------------------------------------------------------------------------

  private boolean works(ScoredModel x, int s) {
    int covered = 0;
    for (int[] p : pairs) {
      String mine;
      String theirs;
      if (x == null || x == a) {
        mine = a.nameOf(p[0] + s);
        theirs = b.nameOf(p[1]);
      } else {
        mine = b.nameOf(p[1] + s);
        theirs = a.nameOf(p[0]);
      }
      if (mine == null || theirs == null) {
        continue;
      }
      if (!mine.equals(theirs)) {
        return false;
      }
      covered++;
    }
    return covered >= Math.min(2, pairs.size()) && covered > 0;
  }

  /** The model whose label file is more likely wrong comes first: the one whose count is off. */
  private List<ScoredModel> blameOrder() {
    if (!fits(a) && fits(b)) {
      return List.of(a);
    }
    if (!fits(b) && fits(a)) {
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

  private ScoredModel other(ScoredModel m) {
    return m == a ? b : a;
  }

  /** The other model's name for {@code m}'s output {@code c}, or null if it has no such output. */
  private String otherName(ScoredModel m, int c) {
    for (int[] p : pairs) {
      if (m == a && p[0] == c) {
        return b.nameOf(p[1]);
      }
      if (m == b && p[1] == c) {
        return a.nameOf(p[0]);
      }
    }
    return null;
  }

  private static LabelCount count(ScoredModel m, Integer start, Integer end, String description) {
    return new LabelCount(
        m.id(), m.labels().source(), m.labels().size(), m.classes(), start, end, description);
  }

  private static String entries(ScoredModel m, int k) {
    boolean json = m.labels().isJson();
    return k == 1 ? (json ? "entry" : "line") : k + (json ? " entries" : " lines");
  }

  private static String outputs(int from, int to) {
    return to - from == 1 ? "output " + from : "outputs " + from + "-" + (to - 1);
  }

  /** Up to three names, quoted, then how many more. */
  static String quoted(List<String> names) {
    List<String> q = new ArrayList<>();
    for (int i = 0; i < names.size() && i < MAX_NAMES_SHOWN; i++) {
      q.add("'" + names.get(i) + "'");
    }
    return String.join(", ", q)
        + (names.size() > MAX_NAMES_SHOWN
            ? " and " + (names.size() - MAX_NAMES_SHOWN) + " more"
            : "");
  }

  private static String shown(List<String> names) {
    return names.size() <= MAX_NAMES_SHOWN
        ? quoted(names)
        : "the " + names.size() + " missing names";
  }
}
