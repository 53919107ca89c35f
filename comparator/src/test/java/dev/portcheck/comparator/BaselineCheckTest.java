package dev.portcheck.comparator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.comparator.baseline.Baseline;
import dev.portcheck.comparator.baseline.BaselineChecker;
import dev.portcheck.comparator.baseline.Snapshotter;
import dev.portcheck.comparator.output.JsonRenderer;
import dev.portcheck.comparator.output.TextRenderer;
import dev.portcheck.comparator.report.AttributeFinding;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.comparator.report.Divergence;
import dev.portcheck.comparator.report.LayerComparison;
import dev.portcheck.comparator.report.LayerStatus;
import dev.portcheck.comparator.report.PairMetrics;
import dev.portcheck.comparator.report.Verdict;
import dev.portcheck.comparator.report.WeightFinding;
import dev.portcheck.comparator.report.WeightKind;
import dev.portcheck.importers.api.ModelView;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code check}: the comparison pipeline with a recorded baseline as the reference. */
class BaselineCheckTest {
  private final Cnn cnn = new Cnn(7);
  private final Baseline baseline = snapshot(cnn.torch(1e-5).build());

  private static Baseline snapshot(ModelView model) {
    return Snapshotter.snapshot(
        model, CompareOptions.builder().shape("x", 1, 3, 8, 8).build(), "test");
  }

  private ComparisonReport check(ModelView model) {
    return BaselineChecker.check(
        baseline, Path.of("cnn.baseline.json"), model, CompareOptions.defaults());
  }

  @Test
  void anExportMatchesItsBaselineBySummaryWithoutACosine() {
    ComparisonReport r = check(cnn.onnx(1e-5).build());
    String text = new TextRenderer().render(r);
    assertEquals(Verdict.MATCH, r.verdict(), text);
    LayerComparison bn2 = ModelComparisonTest.row(r, "m0", "bn2");
    assertEquals(LayerStatus.MATCH, bn2.status());
    PairMetrics p = bn2.metrics().vsReference().get("m1");
    assertEquals("quantiles", p.comparedAs());
    assertFalse(p.elementwise());
    assertFalse(text.contains("NaN"), text);
    JsonNode json = new JsonRenderer().toTree(r);
    for (JsonNode l : json.path("layers")) {
      JsonNode vs = l.path("metrics").path("vsReference").path("m1");
      assertTrue(vs.isMissingNode() || vs.path("cosine").isNull(), l.toString());
    }
    // Outputs are kept in full, so they are compared element by element, with a cosine.
    assertTrue(r.outputs().get(0).metrics().elementwise());
  }

  @Test
  void thePlantedEpsilonIsTheFirstDivergenceWithItsTypedFinding() {
    ComparisonReport r = check(cnn.keras(1e-3, false, null).build());
    Divergence d = r.firstDivergence();
    AttributeFinding f = (AttributeFinding) d.finding();
    assertEquals("bn2", f.layer());
    assertEquals("epsilon", f.attribute());
    assertEquals(1e-5, ((dev.portcheck.importers.api.AttributeValue.Float) f.expected()).value());
    assertEquals(1e-3, ((dev.portcheck.importers.api.AttributeValue.Float) f.actual()).value());
  }

  @Test
  void aKernelSlipIsFoundFromChecksums() {
    ComparisonReport r = check(cnn.keras(1e-5, false, cnn.w2.transpose(0, 1, 3, 2)).build());
    WeightFinding f = (WeightFinding) r.firstDivergence().finding();
    assertEquals("conv2", f.layer());
    assertEquals(WeightKind.HW_SLIP, f.kind());
    assertTrue(f.mismatch().digests() != null, "compared by checksum");
  }

  @Test
  void aFoldedExportIsComparedWithTheBatchNormOutputAndItsRowShowsThoseStatistics() {
    ComparisonReport r = check(cnn.onnxFolded(1e-5, 1e-5).build());
    assertEquals(Verdict.MATCH, r.verdict(), () -> new TextRenderer().render(r));
    LayerComparison conv2 = ModelComparisonTest.row(r, "m0", "conv2");
    LayerComparison bn2 = ModelComparisonTest.row(r, "m0", "bn2");
    assertEquals(LayerStatus.FOLDED, bn2.status());
    assertEquals(
        bn2.metrics().stats().get("m0").mean(), conv2.metrics().stats().get("m0").mean(), 0);
    assertEquals(
        conv2.metrics().stats().get("m1").mean(), conv2.metrics().stats().get("m0").mean(), 1e-5);
    // Checksums prove no fold: it is seen in the graph, its epsilon is not inferred.
    JsonNode fold = new JsonRenderer().toTree(r).path("folds").get(0);
    assertEquals("bn1", fold.path("batchNorm").asText());
    assertTrue(fold.path("inferredEpsilon").isNull(), fold.toString());
  }
}
