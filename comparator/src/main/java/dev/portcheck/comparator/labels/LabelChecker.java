package dev.portcheck.comparator.labels;

import dev.portcheck.importers.api.PortcheckException;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares models' label mappings from their classifier outputs on the same probe inputs.
 *
 * <p>For each pair the outputs are first aligned from the scores alone: index by index, shifted by
 * k extra leading or trailing outputs (a background class), or permuted (each class's scores across
 * the probes are its fingerprint; the match must be one-to-one and unambiguous). Scores are
 * compared raw, never softmaxed, with numpy's allclose {@code |a-b| <= atol + rtol*|b|}; when no
 * alignment is close, one whose top-1 and top-5 agree on every probe (ties within the same
 * tolerance) is accepted and the hint says so. Then the names of aligned outputs are compared:
 *
 * <ul>
 *   <li>{@link LabelVerdict#CONSISTENT}: every aligned output has the same name in both files (also
 *       when outputs are shifted or permuted and the label files follow);
 *   <li>{@link LabelVerdict#OFFSET}: the names line up once one file is shifted by k entries;
 *   <li>{@link LabelVerdict#COUNT_MISMATCH}: the names line up as they are, but a file holds more
 *       or fewer names than its model has outputs (names missing or to spare at the end);
 *   <li>{@link LabelVerdict#PERMUTED}: the outputs are reordered and the names do not follow;
 *   <li>{@link LabelVerdict#MISMATCH}: outputs agree index by index but are named differently;
 *   <li>{@link LabelVerdict#INCONCLUSIVE}: no alignment makes the outputs agree.
 * </ul>
 *
 * <p>A label file whose length differs from its model's output count is always a finding, never a
 * pass: each pair lists such files in {@link LabelPair#counts()} with the end where names are
 * missing or to spare, as the names compared with the other model's show it; when no shift lines
 * them up, the pair's verdict says how the names differ ({@link LabelVerdict#MISMATCH}).
 */
public final class LabelChecker {
  /** Default absolute tolerance for comparing raw scores. */
  public static final double DEFAULT_ATOL = 1e-4;

  /** Default relative tolerance for comparing raw scores. */
  public static final double DEFAULT_RTOL = 1e-3;

  private final Scores scores;

  /** A checker with the default tolerances. */
  public LabelChecker() {
    this(DEFAULT_ATOL, DEFAULT_RTOL);
  }

  /** A checker comparing scores with {@code |a-b| <= atol + rtol*|b|}. */
  public LabelChecker(double atol, double rtol) {
    if (!(atol >= 0) || !(rtol >= 0)) {
      throw PortcheckException.usage(
          "label check tolerances must be non-negative numbers (atol "
              + atol
              + ", rtol "
              + rtol
              + ").");
    }
    this.scores = new Scores(atol, rtol);
  }

  /** Compares every model with the first one. */
  public LabelReport check(List<ScoredModel> models) {
    return check(models, null, false);
  }

  /**
   * Compares models pairwise.
   *
   * @param models at least two, all scored on the same probes in the same order
   * @param probeNames optional names of the probes (e.g. {@code ones}, {@code random}) for the
   *     examples; null to number them from 0
   * @param allPairs every pair instead of every model against the first
   * @throws PortcheckException (USAGE) if fewer than two models are given, or the score matrices
   *     are empty, ragged or have different probe counts
   */
  public LabelReport check(List<ScoredModel> models, List<String> probeNames, boolean allPairs) {
    if (models.size() < 2) {
      throw PortcheckException.usage(
          "the label check compares models, but "
              + models.size()
              + " model(s) were given; pass at least two (or lint a single label file).");
    }
    int probes = models.get(0).scores().length;
    for (ScoredModel m : models) {
      validate(m, probes, models.get(0).id());
    }
    List<LabelPair> pairs = new ArrayList<>();
    // Each file's lint says where its names are missing or to spare as the first pair located it.
    LabelCount[] located = new LabelCount[models.size()];
    for (int i = 0; i < models.size(); i++) {
      for (int j = i + 1; j < models.size(); j++) {
        if (i != 0 && !allPairs) {
          continue;
        }
        LabelPair pair =
            new PairComparer(scores, models.get(i), models.get(j), probeNames).compare();
        pairs.add(pair);
        for (LabelCount c : pair.counts()) {
          int m = isOf(c, models.get(i)) ? i : j;
          if (located[m] == null && c.located()) {
            located[m] = c;
          }
        }
      }
    }
    LabelVerdict verdict = LabelVerdict.CONSISTENT;
    for (LabelPair p : pairs) {
      verdict = verdict.worse(p.verdict());
    }
    List<LabelLintReport> lint = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      ScoredModel sm = models.get(m);
      lint.add(LabelLint.lint(sm.labels(), sm.classes(), located[m]));
    }
    return new LabelReport(verdict, pairs, models.stream().map(ScoredModel::id).toList(), lint);
  }

  /** Whether {@code c} describes {@code m}'s label file (ids alone may repeat in tests). */
  private static boolean isOf(LabelCount c, ScoredModel m) {
    return c.model().equals(m.id())
        && c.file().equals(m.labels().source())
        && c.names() == m.labels().size()
        && c.outputs() == m.classes();
  }

  /** Compares two models; {@code first} is the reference. */
  public LabelPair compare(ScoredModel first, ScoredModel second) {
    return check(List.of(first, second)).pairs().get(0);
  }

  private static void validate(ScoredModel m, int probes, String firstId) {
    float[][] s = m.scores();
    if (s.length == 0) {
      throw PortcheckException.usage(
          m.id() + ": no probe outputs were given; the label check needs at least one probe.");
    }
    if (s.length != probes) {
      throw PortcheckException.usage(
          m.id()
              + ": scored on "
              + s.length
              + " probes but "
              + firstId
              + " on "
              + probes
              + "; every model must get the same probes in the same order.");
    }
    int width = s[0] == null ? 0 : s[0].length;
    if (width == 0) {
      throw PortcheckException.usage(m.id() + ": its classifier output has no classes.");
    }
    for (int p = 1; p < s.length; p++) {
      if (s[p] == null || s[p].length != width) {
        throw PortcheckException.usage(
            m.id()
                + ": probe "
                + p
                + " has "
                + (s[p] == null ? 0 : s[p].length)
                + " scores but probe 0 has "
                + width
                + "; pass one row of class scores per probe.");
      }
    }
  }
}
