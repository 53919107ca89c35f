package dev.portcheck.comparator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.comparator.labels.LabelFile;
import dev.portcheck.comparator.labels.LabelReport;
import dev.portcheck.comparator.labels.LabelVerdict;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.comparator.report.Verdict;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The label check as part of {@link ModelComparison#compare}, on the five-class test network. */
class LabelCheckInCompareTest {
  private static final List<String> NAMES = List.of("tench", "goldfish", "shark", "hen", "cock");
  private static final List<String> SORTED = NAMES.stream().sorted().toList();

  private static LabelFile file(String name, List<String> names) {
    return new LabelFile(Path.of(name), names);
  }

  private static ComparisonReport compare(List<LabelFile> labels) {
    Cnn cnn = new Cnn(7);
    List<ModelView> models = List.of(cnn.torch(1e-5).build(), cnn.keras(1e-5, false, null).build());
    return ModelComparison.compare(models, CompareOptions.builder().labels(labels).build());
  }

  @Test
  void withoutLabelFilesThereIsNoLabelReport() {
    assertNull(compare(List.of()).labels());
  }

  @Test
  void sameNamesForAPortThatMatchesAreConsistent() {
    ComparisonReport r = compare(List.of(file("a.txt", NAMES), file("b.txt", NAMES)));
    assertEquals(Verdict.MATCH, r.verdict());
    LabelReport l = r.labels();
    assertEquals(LabelVerdict.CONSISTENT, l.verdict());
    assertEquals(List.of("m0", "m1"), l.models());
  }

  @Test
  void sortedNamesForTheSameOutputsAreAMismatchEvenWhenTheNumbersMatch() {
    ComparisonReport r = compare(List.of(file("a.txt", NAMES), file("b.txt", SORTED)));
    assertEquals(Verdict.MATCH, r.verdict());
    assertEquals(LabelVerdict.MISMATCH, r.labels().verdict());
    assertTrue(r.labels().pairs().get(0).hint().contains("sorted"), r.labels().pairs().toString());
  }

  @Test
  void oneLabelFileForTwoModelsIsAUsageError() {
    PortcheckException e =
        assertThrows(PortcheckException.class, () -> compare(List.of(file("a.txt", NAMES))));
    assertEquals(PortcheckException.Reason.USAGE, e.reason());
  }
}
