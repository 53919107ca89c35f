package dev.portcheck.junit;

import dev.portcheck.comparator.Comparator;
import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.ComparisonReport;
import dev.portcheck.comparator.Divergence;
import dev.portcheck.comparator.Verdict;
import dev.portcheck.comparator.baseline.Baseline;
import dev.portcheck.comparator.baseline.BaselineChecker;
import dev.portcheck.comparator.baseline.BaselineFormat;
import dev.portcheck.comparator.output.FindingText;
import dev.portcheck.comparator.output.TextRenderer;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AssertionFailureBuilder;
import org.opentest4j.AssertionFailedError;

/**
 * Assertions for a JUnit 5 suite that exports models:
 *
 * <pre>{@code
 * PortAssertions.assertSameModel(Path.of("model.pt"), Path.of("model.onnx"),
 *     CompareOptions.builder().shape("x", 1, 3, 224, 224).build());
 * PortAssertions.assertMatchesBaseline(Path.of("model.onnx"), Path.of("baseline.json"));
 * }</pre>
 *
 * <p>A difference fails with an {@link AssertionFailedError} whose message starts with the same
 * explanation and JUnit-shaped failure text as {@code portcheck compare} / {@code check} print,
 * followed by the whole text report; {@code expected}/{@code actual} hold the finding's values (an
 * attribute's two values, the weight slip found, or the tolerance and the max abs diff). A model
 * that cannot be checked (missing, corrupt, unsupported) throws the {@link PortcheckException}:
 * that is an error of the test, not a failed assertion.
 */
public final class PortAssertions {
  private PortAssertions() {}

  /** Asserts that {@code other} computes what {@code reference} does, with default options. */
  public static void assertSameModel(Path reference, Path other) {
    assertSameModel(reference, other, CompareOptions.defaults());
  }

  /**
   * Asserts that {@code other} computes what {@code reference} does: every aligned layer and output
   * within tolerance, attributes and weights equal, labels consistent when label files are given.
   *
   * @throws AssertionFailedError with the comparison's explanation when they differ
   * @throws PortcheckException when a model cannot be read or run
   */
  public static void assertSameModel(Path reference, Path other, CompareOptions options) {
    ComparisonReport report = compare(List.of(reference, other), options);
    failIfDifferent(report);
  }

  /** Asserts that {@code model} still computes what its baseline recorded, default tolerances. */
  public static void assertMatchesBaseline(Path model, Path baseline) {
    assertMatchesBaseline(model, baseline, CompareOptions.defaults());
  }

  /**
   * Asserts that {@code model} still computes what {@code baseline} (written by {@code portcheck
   * snapshot}) recorded; the probes come from the baseline, tolerances from {@code options}.
   *
   * @throws AssertionFailedError with the check's explanation when it changed
   * @throws PortcheckException when the model or baseline cannot be read (an old or foreign
   *     baseline file included)
   */
  public static void assertMatchesBaseline(Path model, Path baseline, CompareOptions options) {
    Baseline b = BaselineFormat.read(baseline);
    ComparisonReport report;
    try (ModelView view = Importers.open(model)) {
      report = BaselineChecker.check(b, baseline, view, options);
    }
    failIfDifferent(report);
  }

  /** Compares models and returns the report, for tests that assert on details. */
  public static ComparisonReport compare(List<Path> models, CompareOptions options) {
    List<ModelView> views = new ArrayList<>();
    try {
      for (Path p : models) {
        views.add(Importers.open(p));
      }
      return Comparator.compare(views, options);
    } finally {
      for (int i = views.size() - 1; i >= 0; i--) {
        views.get(i).close();
      }
    }
  }

  private static void failIfDifferent(ComparisonReport report) {
    boolean labelProblem =
        report.labels() != null
            && report.labels().verdict() != dev.portcheck.comparator.labels.LabelVerdict.CONSISTENT;
    if (report.verdict() == Verdict.MATCH && !labelProblem) {
      return;
    }
    String text = new TextRenderer().render(report);
    Divergence d = report.firstDivergence();
    if (d == null) {
      throw new AssertionFailedError("labels: " + report.labels().verdict() + "\n\n" + text);
    }
    FindingText words = new FindingText(report.models());
    // The message is the CLI's text; expected and actual are the finding's typed values, which
    // IDEs offer to compare.
    throw AssertionFailureBuilder.assertionFailure()
        .message(words.firstDivergence(d) + "\n\n" + text)
        .expected(words.expected(d.finding()))
        .actual(words.actual(d.finding()))
        .includeValuesInMessage(false)
        .build();
  }
}
