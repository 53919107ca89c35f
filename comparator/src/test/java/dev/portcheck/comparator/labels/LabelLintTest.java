package dev.portcheck.comparator.labels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.comparator.labels.LabelFinding.Kind;
import dev.portcheck.comparator.labels.LabelFinding.Severity;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabelLintTest {
  private static LabelFile fixture(String name) {
    return LabelFiles.read(Fixtures.path("models/labels/" + name));
  }

  private static LabelFinding only(LabelLintReport r, Kind kind) {
    List<LabelFinding> f = r.findings().stream().filter(x -> x.kind() == kind).toList();
    assertEquals(1, f.size(), r.findings().toString());
    return f.get(0);
  }

  @Test
  void trainingOrderFileMatchingTheOutputsHasNoFindings() {
    LabelLintReport r = LabelLint.lint(fixture("classes.txt"), 10);
    assertEquals(List.of(), r.findings());
    assertTrue(r.worst().isEmpty());
  }

  @Test
  void oneNameShortOfTheOutputsOnItsOwnReadsAsTheLastNameMissing() {
    LabelLintReport r = LabelLint.lint(fixture("classes.txt"), 11);
    LabelFinding f = only(r, Kind.COUNT);
    assertEquals(Severity.ERROR, f.severity());
    assertTrue(
        f.message()
            .startsWith(
                "classes.txt has 10 names but the model has 11 outputs: names are read from output"
                    + " 0, so the last name is missing (output 10 has none); add it at the end."),
        f.message());
    // The other reading is offered, not preferred: nothing in a 10-name file says background.
    assertTrue(f.message().contains("If the model instead has a leading class"), f.message());
    assertTrue(r.hasErrors());
  }

  @Test
  void thousandNamesForTfSlimsThousandAndOneOutputsSuspectAMissingBackgroundClass() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      names.add("class " + i);
    }
    LabelFinding f =
        only(LabelLint.lint(new LabelFile(Path.of("imagenet.txt"), names), 1001), Kind.COUNT);
    assertTrue(f.message().contains("a leading 'background' class is likely missing"), f.message());
    assertTrue(f.message().endsWith("add 'background' as the first line"), f.message());
  }

  @Test
  void severalNamesShortSaysHowManyOutputsAreUnnamed() {
    LabelFinding f = only(LabelLint.lint(fixture("classes.txt"), 12), Kind.COUNT);
    assertTrue(
        f.message().contains("the last 2 names are missing (outputs 10-11 have none)"),
        f.message());
  }

  @Test
  void oneNameTooManyOnItsOwnNamesTheExtraNameAtTheEnd() {
    LabelFinding f = only(LabelLint.lint(fixture("classes.txt"), 9), Kind.COUNT);
    assertTrue(
        f.message().contains("an extra name at the end ('ostrich') names no output"), f.message());
  }

  @Test
  void locatedEvidenceFromAnotherFileReplacesTheReadingOfTheFileAlone() {
    LabelCount located =
        new LabelCount(
            "m1",
            Path.of("classes.txt"),
            10,
            11,
            -1,
            0,
            "the first name is missing: m1's output 0 has no counterpart in m0");
    LabelFinding f = only(LabelLint.lint(fixture("classes.txt"), 11, located), Kind.COUNT);
    assertEquals(
        "classes.txt has 10 names but the model has 11 outputs: the first name is missing: m1's"
            + " output 0 has no counterpart in m0",
        f.message());
  }

  @Test
  void backgroundFileOnATenOutputModelSaysRemoveTheFirstLine() {
    LabelLintReport r = LabelLint.lint(fixture("classes_background.txt"), 10);
    LabelFinding f = only(r, Kind.COUNT);
    assertTrue(f.message().startsWith("classes_background.txt has 11 names but the model has 10"));
    assertTrue(f.message().contains("its first entry 'background'"), f.message());
    assertTrue(f.message().contains("remove the first line"), f.message());
  }

  @Test
  void backgroundAtIndexZeroOfAMatchingModelIsInfo() {
    LabelLintReport r = LabelLint.lint(fixture("classes_background.txt"), 11);
    LabelFinding f = only(r, Kind.BACKGROUND);
    assertEquals(Severity.INFO, f.severity());
    assertFalse(r.hasErrors());
    // The ten real names after 'background' are in training order, so no SORTED finding.
    assertEquals(1, r.findings().size(), r.findings().toString());
  }

  @Test
  void alphabeticalFileIsWarnedAboutSortedClassFolders() {
    LabelFinding f = only(LabelLint.lint(fixture("classes_sorted.txt"), 10), Kind.SORTED);
    assertEquals(Severity.WARNING, f.severity());
    assertTrue(
        f.message()
            .contains(
                "names are in alphabetical order; a model's training order rarely is — check it"
                    + " was not produced by sorting class folders"),
        f.message());
  }

  @Test
  void permutedFileIsNotFlaggedAsSorted() {
    assertEquals(List.of(), LabelLint.lint(fixture("classes_permuted.txt"), 10).findings());
  }

  @Test
  void duplicatesAreListedWithTheirLines() {
    List<String> names = new ArrayList<>(List.of("crane", "tench", "goldfish", "crane", "tench"));
    LabelFile lf = new LabelFile(Path.of("dups.txt"), names);
    LabelFinding f = only(LabelLint.lint(lf, 5), Kind.DUPLICATE);
    assertEquals(Severity.WARNING, f.severity());
    assertTrue(
        f.message().contains("'crane' at line 1, line 4; 'tench' at line 2, line 5"), f.message());
  }

  @Test
  void duplicatesInJsonAreListedByIndex() {
    LabelFile lf = new LabelFile(Path.of("d.json"), List.of("zebra", "ant", "ant"));
    assertTrue(only(LabelLint.lint(lf, 3), Kind.DUPLICATE).message().contains("index 1, index 2"));
  }

  @Test
  void blankJsonNameIsAnErrorNamingTheIndex() {
    LabelFile lf = new LabelFile(Path.of("b.json"), List.of("tench", " ", "goldfish"));
    LabelFinding f = only(LabelLint.lint(lf, 3), Kind.BLANK);
    assertEquals(Severity.ERROR, f.severity());
    assertTrue(f.message().contains("index 1 is blank"), f.message());
  }

  @Test
  void nonPositiveOutputCountIsAUsageError() {
    PortcheckException e =
        assertThrows(PortcheckException.class, () -> LabelLint.lint(fixture("classes.txt"), 0));
    assertEquals(PortcheckException.Reason.USAGE, e.reason());
  }
}
