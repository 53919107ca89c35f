package dev.portcheck.comparator.labels;

import static dev.portcheck.comparator.labels.Synthetic.NAMES;
import static dev.portcheck.comparator.labels.Synthetic.boxed;
import static dev.portcheck.comparator.labels.Synthetic.gather;
import static dev.portcheck.comparator.labels.Synthetic.inverse;
import static dev.portcheck.comparator.labels.Synthetic.logits;
import static dev.portcheck.comparator.labels.Synthetic.model;
import static dev.portcheck.comparator.labels.Synthetic.withExtra;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.PortcheckException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The checker on seeded synthetic outputs: 16 probes x 10 classes unless stated. */
class LabelCheckerSyntheticTest {
  private static final float[][] S = logits(42, 16, 10);
  private static final int[] PERM = shuffled(10, 7);
  private final LabelChecker checker = new LabelChecker();

  private static int[] shuffled(int n, long seed) {
    List<Integer> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(i);
    }
    Collections.shuffle(l, new Random(seed));
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  private static ScoredModel ref() {
    return model("m0", S, "classes.txt", NAMES);
  }

  private static List<String> with(String first, List<String> rest) {
    List<String> l = new ArrayList<>();
    l.add(first);
    l.addAll(rest);
    return l;
  }

  /** The first probe whose winner differs between the two name lists, as the checker says it. */
  private static String firstExample(float[][] s0, List<String> n0, float[][] s1, List<String> n1) {
    for (int p = 0; p < s0.length; p++) {
      String a = n0.get(Scores.argmax(s0[p]));
      int w1 = Scores.argmax(s1[p]);
      String b = w1 < n1.size() ? "'" + n1.get(w1) + "'" : "<output " + w1 + " has no name>";
      if (!("'" + a + "'").equals(b)) {
        return "probe " + p + ": m0 says '" + a + "', m1 says " + b;
      }
    }
    throw new AssertionError("no differing probe");
  }

  @Test
  void sameOutputsAndSameLabelsAreConsistent() {
    float[][] close = Synthetic.noisy(S, 1, 1e-6);
    LabelPair p = checker.compare(ref(), model("m1", close, "labels.json", NAMES));
    assertEquals(LabelVerdict.CONSISTENT, p.verdict());
    assertNull(p.offset());
    assertNull(p.permutation());
    assertEquals(List.of(), p.examples());
    assertTrue(p.hint().startsWith("outputs agree index by index"), p.hint());
  }

  @Test
  void alphabeticallySortedLabelsOnTheSameOutputsAreAMismatchFromSortedFolders() {
    List<String> sorted = new ArrayList<>(NAMES);
    Collections.sort(sorted);
    LabelPair p = checker.compare(ref(), model("m1", S, "classes_sorted.txt", sorted));
    assertEquals(LabelVerdict.MISMATCH, p.verdict());
    assertTrue(
        p.hint()
            .contains(
                "m1's labels are m0's sorted alphabetically: someone probably listed and sorted"
                    + " class folders"),
        p.hint());
    assertEquals(3, p.examples().size());
    assertEquals(firstExample(S, NAMES, S, sorted), p.examples().get(0));
  }

  @Test
  void sortedReferenceIsBlamedWhenTheFirstFileIsTheSortedOne() {
    List<String> sorted = new ArrayList<>(NAMES);
    Collections.sort(sorted);
    LabelPair p =
        checker.compare(model("m0", S, "sorted.txt", sorted), model("m1", S, "classes.txt", NAMES));
    assertTrue(p.hint().contains("m0's labels are m1's sorted alphabetically"), p.hint());
  }

  @Test
  void sameNamesInAnotherUnsortedOrderAreAMismatchSayingSo() {
    List<String> reversed = new ArrayList<>(NAMES);
    Collections.reverse(reversed);
    LabelPair p = checker.compare(ref(), model("m1", S, "rev.txt", reversed));
    assertEquals(LabelVerdict.MISMATCH, p.verdict());
    assertTrue(
        p.hint().contains("the same 10 names in another order (10 positions differ)"), p.hint());
  }

  @Test
  void oneRenamedClassIsAMismatchShowingTheOutput() {
    List<String> renamed = new ArrayList<>(NAMES);
    renamed.set(3, "tiger-shark");
    LabelPair p = checker.compare(ref(), model("m1", S, "b.txt", renamed));
    assertEquals(LabelVerdict.MISMATCH, p.verdict());
    assertTrue(
        p.hint()
            .contains(
                "1 of 10 outputs are named differently (e.g. output 3: 'tiger shark' in"
                    + " classes.txt, 'tiger-shark' in b.txt)"),
        p.hint());
  }

  @Test
  void leadingBackgroundOutputWithoutItsLabelIsOffsetByOne() {
    float[][] bg = withExtra(S, 1, true, -5f);
    LabelPair p = checker.compare(ref(), model("m1", bg, "classes.txt", NAMES));
    assertEquals(LabelVerdict.OFFSET, p.verdict());
    assertEquals(1, p.offset());
    assertTrue(
        p.hint().contains("classes.txt (10 names for 11 outputs) lacks 1 leading entry"), p.hint());
    assertTrue(
        p.hint()
            .contains("m1 has 1 extra leading output, index 0, which its label file calls 'tench'"),
        p.hint());
    assertEquals(firstExample(S, NAMES, bg, NAMES), p.examples().get(0));
  }

  @Test
  void leadingBackgroundOutputWithBackgroundLabelIsConsistent() {
    float[][] bg = withExtra(S, 1, true, -5f);
    LabelPair p =
        checker.compare(
            ref(), model("m1", bg, "classes_background.txt", with("background", NAMES)));
    assertEquals(LabelVerdict.CONSISTENT, p.verdict());
    assertTrue(
        p.hint()
            .contains(
                "m1 has 1 extra leading output, index 0, which its label file calls 'background'"),
        p.hint());
  }

  @Test
  void backgroundLabelFileOnAModelWithoutBackgroundIsOffsetByOne() {
    LabelPair p =
        checker.compare(ref(), model("m1", S, "classes_background.txt", with("background", NAMES)));
    assertEquals(LabelVerdict.OFFSET, p.verdict());
    assertEquals(1, p.offset());
    assertTrue(
        p.hint().contains("has 1 extra leading entry ('background') that m1's outputs do not have"),
        p.hint());
    assertEquals(
        "an extra name at the start ('background'): a background class m1's outputs do not have,"
            + " so every name is off by 1",
        p.counts().get(0).description());
    assertEquals(List.of(1, 0), List.of(p.counts().get(0).start(), p.counts().get(0).end()));
  }

  @Test
  void backgroundModelAsFirstWithTheShortFileIsBlamedOnTheFirst() {
    float[][] bg = withExtra(S, 1, true, -5f);
    LabelPair p =
        checker.compare(
            model("m0", bg, "classes.txt", NAMES), model("m1", S, "classes.txt", NAMES));
    assertEquals(LabelVerdict.OFFSET, p.verdict());
    assertEquals(1, p.offset());
    assertTrue(p.hint().startsWith("every name m0 reports is off by 1 compared with m1"), p.hint());
  }

  @Test
  void twoLeadingUnusedOutputsAreOffsetByTwo() {
    float[][] two = withExtra(S, 2, true, -5f);
    LabelPair p = checker.compare(ref(), model("m1", two, "classes.txt", NAMES));
    assertEquals(LabelVerdict.OFFSET, p.verdict());
    assertEquals(2, p.offset());
  }

  @Test
  void trailingOutputWithoutANameIsACountMismatchWhoseLastNameIsMissing() {
    float[][] tail = withExtra(S, 1, false, -5f);
    LabelPair p = checker.compare(ref(), model("m1", tail, "classes.txt", NAMES));
    assertEquals(LabelVerdict.COUNT_MISMATCH, p.verdict());
    assertEquals(1, p.counts().size(), p.counts().toString());
    LabelCount c = p.counts().get(0);
    assertEquals(
        List.of("m1", 10, 11, 0, -1),
        List.of(c.model(), c.names(), c.outputs(), c.start(), c.end()));
    assertEquals(
        "the last name is missing: m1's output 10 has no name and no counterpart in m0",
        c.description());
    assertTrue(
        p.hint()
            .contains(
                "m1 has 1 extra trailing output, index 10, which its label file calls <output 10 has no name>"),
        p.hint());
  }

  @Test
  void extraNameAtTheEndIsACountMismatchThatNamesIt() {
    List<String> eleven = new ArrayList<>(NAMES);
    eleven.add("platypus");
    LabelPair p = checker.compare(ref(), model("m1", S, "labels11.txt", eleven));
    assertEquals(LabelVerdict.COUNT_MISMATCH, p.verdict());
    LabelCount c = p.counts().get(0);
    assertEquals(List.of(11, 10, 0, 1), List.of(c.names(), c.outputs(), c.start(), c.end()));
    assertEquals("an extra name at the end ('platypus'), naming no output of m1", c.description());
    assertTrue(
        p.hint()
            .startsWith(
                "labels11.txt has 11 names for the 10 outputs of m1: an extra name at the end"),
        p.hint());
    assertTrue(p.hint().contains("Remove the last line of labels11.txt"), p.hint());
    assertEquals(
        List.of("labels11.txt line 11 'platypus' names no output of m1 (it has 10)"), p.examples());
  }

  @Test
  void lastNameMissingIsACountMismatchNamingTheMissingNameNotABackgroundClass() {
    LabelReport r =
        checker.check(List.of(ref(), model("m1", S, "labels9.txt", NAMES.subList(0, 9))));
    LabelPair p = r.pairs().get(0);
    assertEquals(LabelVerdict.COUNT_MISMATCH, p.verdict());
    LabelCount c = p.counts().get(0);
    assertEquals(List.of(0, -1), List.of(c.start(), c.end()));
    assertEquals("the last name is missing (m0 calls output 9 'ostrich')", c.description());
    assertTrue(p.hint().contains("Add 'ostrich' at the end of labels9.txt."), p.hint());
    assertTrue(!p.hint().contains("background"), p.hint());
    // The label file's lint says the same as the pair, not a guess.
    LabelFinding f = r.lint().get(1).findings().get(0);
    assertEquals(
        "labels9.txt has 9 names but the model has 10 outputs: the last name is missing (m0 calls"
            + " output 9 'ostrich')",
        f.message());
  }

  @Test
  void firstNameMissingOnTheSameOutputsIsAnOffsetNamingTheMissingName() {
    LabelPair p = checker.compare(ref(), model("m1", S, "labels9.txt", NAMES.subList(1, 10)));
    assertEquals(LabelVerdict.OFFSET, p.verdict());
    assertEquals(1, p.offset());
    LabelCount c = p.counts().get(0);
    assertEquals(List.of(-1, 0), List.of(c.start(), c.end()));
    assertEquals(
        "the first name is missing (m0 calls output 0 'tench'), so every name is off by 1",
        c.description());
    assertTrue(
        p.hint().contains("(m0 calls output 0 'tench'). Add 'tench' at the start of labels9.txt."),
        p.hint());
    assertTrue(!p.hint().contains("background"), p.hint());
  }

  @Test
  void bothFilesOffAtTheEndAreOneCountMismatchListingBoth() {
    List<String> eleven = new ArrayList<>(NAMES);
    eleven.add("platypus");
    LabelPair p =
        checker.compare(
            model("m0", S, "labels9.txt", NAMES.subList(0, 9)),
            model("m1", S, "labels11.txt", eleven));
    assertEquals(LabelVerdict.COUNT_MISMATCH, p.verdict());
    assertEquals(
        List.of("m0", "m1"), p.counts().stream().map(LabelCount::model).toList(), p.toString());
    assertEquals(-1, p.counts().get(0).end());
    assertEquals(1, p.counts().get(1).end());
    assertTrue(p.hint().contains("line up with each other position by position"), p.hint());
  }

  @Test
  void permutedOutputsWithTheSameLabelsArePermutedWithTheRecoveredPermutation() {
    float[][] perm = gather(S, PERM);
    LabelPair p = checker.compare(ref(), model("m1", perm, "classes.txt", NAMES));
    assertEquals(LabelVerdict.PERMUTED, p.verdict());
    assertEquals(boxed(inverse(PERM)), p.permutation());
    assertTrue(p.hint().contains("both use the same names in the same order"), p.hint());
    // Seen from the permuted model, the permutation is the one that was applied.
    LabelPair back =
        checker.compare(model("m0", perm, "classes.txt", NAMES), model("m1", S, "c.txt", NAMES));
    assertEquals(boxed(PERM), back.permutation());
  }

  @Test
  void permutedOutputsWithLabelsThatFollowAreConsistentAndShowThePermutation() {
    LabelPair p =
        checker.compare(
            ref(), model("m1", gather(S, PERM), "classes_permuted.txt", gather(NAMES, PERM)));
    assertEquals(LabelVerdict.CONSISTENT, p.verdict());
    assertEquals(boxed(inverse(PERM)), p.permutation());
    assertTrue(p.hint().contains("outputs are permuted") && p.hint().contains("labels follow"));
  }

  @Test
  void permutationIsRecoveredFromRankingsWhenScoresDriftBeyondTolerance() {
    float[][] drift = Synthetic.noisy(gather(S, PERM), 3, 0.01);
    LabelPair p = checker.compare(ref(), model("m1", drift, "classes.txt", NAMES));
    assertEquals(LabelVerdict.PERMUTED, p.verdict());
    assertEquals(boxed(inverse(PERM)), p.permutation());
    assertTrue(p.hint().contains("aligned by their top-1/top-5 ranking"), p.hint());
  }

  @Test
  void tiedFingerprintsOnOneProbeGiveAPermutedVerdictWithoutAGuessedPermutation() {
    float[][] one = logits(5, 1, 10);
    one[0][5] = one[0][2];
    float[][] perm = gather(one, PERM);
    LabelPair p =
        checker.compare(
            model("m0", one, "classes.txt", NAMES), model("m1", perm, "classes.txt", NAMES));
    assertEquals(LabelVerdict.PERMUTED, p.verdict());
    assertNull(p.permutation());
    assertTrue(
        p.hint().contains("output(s) 2, 5 of the first model match more than one"), p.hint());
    assertTrue(p.hint().contains("more (and more varied) probe inputs"), p.hint());
  }

  @Test
  void countMismatchNoShiftExplainsIsAMismatchNamingFileCountsAndTwoDifferentNames() {
    List<String> other = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      other.add("cifar class " + i);
    }
    LabelPair p = checker.compare(ref(), model("m1", S, "cifar.txt", other));
    assertEquals(LabelVerdict.MISMATCH, p.verdict());
    assertTrue(
        p.hint()
            .startsWith(
                "cifar.txt has 12 names for the 10 outputs of m1, and its names line up with m0's"
                    + " (classes.txt) neither as they are nor shifted by 1 to 2 entries either way"
                    + " (e.g. output 0: 'cifar class 0' in cifar.txt, 'tench' in classes.txt)."),
        p.hint());
    LabelCount c = p.counts().get(0);
    assertEquals(false, c.located());
    assertEquals(List.of(12, 10), List.of(c.names(), c.outputs()));
  }

  @Test
  void unrelatedOutputsAreInconclusive() {
    LabelPair p = checker.compare(ref(), model("m1", logits(99, 16, 10), "classes.txt", NAMES));
    assertEquals(LabelVerdict.INCONCLUSIVE, p.verdict());
    assertTrue(p.hint().startsWith("cannot tell a label problem from a numeric one"), p.hint());
    assertEquals(3, p.examples().size());
  }

  @Test
  void nonFiniteScoresAreInconclusiveNamingModelProbeAndOutput() {
    float[][] nan = Synthetic.noisy(S, 1, 0);
    nan[4][7] = Float.NaN;
    LabelPair p = checker.compare(ref(), model("m1", nan, "classes.txt", NAMES));
    assertEquals(LabelVerdict.INCONCLUSIVE, p.verdict());
    assertTrue(p.hint().startsWith("m1's output 7 is NaN on probe 4"), p.hint());
  }

  @Test
  void exactTieAtTheTopIsNotADisagreement() {
    float[][] tie = {{1f, 3f, 3f, 0f, -1f, -2f, 0.5f}};
    float[][] other = {{1f, 3f, 3.00001f, 0f, -1f, -2f, 0.5f}};
    List<String> n = NAMES.subList(0, 7);
    LabelPair p = checker.compare(model("m0", tie, "a.txt", n), model("m1", other, "b.txt", n));
    assertEquals(LabelVerdict.CONSISTENT, p.verdict());
    assertTrue(new Scores(1e-4, 1e-3).ranksAgree(tie[0], other[0]));
  }

  @Test
  void overallVerdictIsTheWorstPairAndAllPairsComparesEveryPair() {
    List<String> sorted = new ArrayList<>(NAMES);
    Collections.sort(sorted);
    List<ScoredModel> models =
        List.of(
            ref(),
            model("permuted", gather(S, PERM), "classes.txt", NAMES),
            model("background", withExtra(S, 1, true, -5f), "classes.txt", NAMES),
            model("sorted", S, "classes_sorted.txt", sorted));
    LabelReport r = checker.check(models);
    assertEquals(3, r.pairs().size());
    assertEquals(
        List.of(LabelVerdict.PERMUTED, LabelVerdict.OFFSET, LabelVerdict.MISMATCH),
        r.pairs().stream().map(LabelPair::verdict).toList());
    assertEquals(LabelVerdict.MISMATCH, r.verdict());
    assertEquals(4, r.lint().size());
    assertTrue(r.lint().get(2).hasErrors(), "10 names for 11 outputs");
    // All pairs: 'background' against 'sorted' has two problems at once, a count no shift explains
    // and names in another order: a MISMATCH that says both.
    LabelReport all = checker.check(models, null, true);
    assertEquals(6, all.pairs().size());
    LabelPair bgSorted = all.pairs().get(5);
    assertEquals(List.of("background", "sorted"), bgSorted.models());
    assertEquals(LabelVerdict.MISMATCH, bgSorted.verdict());
    assertTrue(
        bgSorted.hint().contains("neither as they are nor shifted by 1 entry either way"),
        bgSorted.hint());
  }

  @Test
  void probeNamesAppearInExamples() {
    List<String> sorted = new ArrayList<>(NAMES);
    Collections.sort(sorted);
    List<String> probes = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      probes.add("img" + i);
    }
    LabelReport r = checker.check(List.of(ref(), model("m1", S, "s.txt", sorted)), probes, false);
    assertTrue(r.pairs().get(0).examples().get(0).startsWith("probe 'img"), r.toString());
  }

  @Test
  void reportMapHasTheCompareJsonShape() {
    LabelReport r =
        checker.check(List.of(ref(), model("m1", gather(S, PERM), "classes.txt", NAMES)));
    Map<String, Object> m = r.toMap();
    assertEquals(List.of("verdict", "pairs", "lint"), List.copyOf(m.keySet()));
    @SuppressWarnings("unchecked")
    Map<String, Object> lint = ((List<Map<String, Object>>) m.get("lint")).get(1);
    assertEquals(
        List.of("model", "source", "names", "outputs", "findings"), List.copyOf(lint.keySet()));
    assertEquals("m1", lint.get("model"));
    assertEquals("PERMUTED", m.get("verdict"));
    @SuppressWarnings("unchecked")
    Map<String, Object> pair = ((List<Map<String, Object>>) m.get("pairs")).get(0);
    assertEquals(
        List.of("models", "verdict", "offset", "permutation", "hint", "examples", "counts"),
        List.copyOf(pair.keySet()));
    assertEquals(List.of("m0", "m1"), pair.get("models"));
    assertEquals(boxed(inverse(PERM)), pair.get("permutation"));
    assertEquals(List.of(), pair.get("counts"));
  }

  @Test
  void badInputsAreUsageErrors() {
    assertThrows(PortcheckException.class, () -> checker.check(List.of(ref())));
    PortcheckException probes =
        assertThrows(
            PortcheckException.class,
            () -> checker.compare(ref(), model("m1", logits(1, 3, 10), "c.txt", NAMES)));
    assertTrue(
        probes.getMessage().contains("scored on 3 probes but m0 on 16"), probes.getMessage());
    float[][] ragged = {new float[10], new float[9]};
    PortcheckException rag =
        assertThrows(
            PortcheckException.class,
            () ->
                checker.compare(
                    model("m0", logits(1, 2, 10), "c.txt", NAMES),
                    model("m1", ragged, "c.txt", NAMES)));
    assertTrue(rag.getMessage().contains("probe 1 has 9 scores but probe 0 has 10"));
    assertThrows(PortcheckException.class, () -> new LabelChecker(-1, 0));
  }
}
