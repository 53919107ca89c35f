package dev.portcheck.comparator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.comparator.output.FindingText;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ComparatorTest {
  private final Cnn cnn = new Cnn(7);

  private static ComparisonReport compare(ModelView... models) {
    return Comparator.compare(List.of(models), CompareOptions.defaults());
  }

  static LayerComparison row(ComparisonReport r, String modelId, String name) {
    return r.layers().stream()
        .filter(l -> name.equals(l.names().get(modelId)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no row for " + modelId + ":" + name));
  }

  @Test
  void identicalModelsMatchWithEveryLayerAligned() {
    ComparisonReport r = compare(cnn.torch(1e-5).build(), cnn.onnx(1e-5).build());
    assertEquals(Verdict.MATCH, r.verdict());
    assertNull(r.firstDivergence());
    assertEquals(8, r.layers().size());
    for (LayerComparison l : r.layers()) {
      assertEquals(LayerStatus.MATCH, l.status(), l.toString());
      assertEquals(2, l.names().size());
    }
    assertEquals(AlignedBy.PARAMETER_NAME, row(r, "m0", "bn2").alignedBy());
    assertEquals(AlignedBy.TOPOLOGY, row(r, "m0", "relu1").alignedBy());
    assertEquals("/bn2/BatchNormalization", row(r, "m0", "bn2").names().get("m1"));
    // ONNX's GlobalAveragePool keeps [1, 4, 1, 1] where PyTorch gives [1, 4].
    assertEquals("squeeze", row(r, "m0", "pool").metrics().vsReference().get("m1").comparedAs());
    assertEquals(0.0, r.outputs().get(0).metrics().maxAbsDiff());
    assertTrue(r.attributeMismatches().isEmpty());
  }

  @Test
  void plantedEpsilonAtBn2IsTheFirstDivergenceWithCauseAttribute() {
    ComparisonReport r = compare(cnn.torch(1e-5).build(), cnn.keras(1e-3, false, null).build());
    assertEquals(Verdict.DIVERGED, r.verdict());
    Divergence d = r.firstDivergence();
    assertEquals(Cause.ATTRIBUTE, d.cause());
    assertEquals("bn2", d.names().get("m0"));
    assertEquals("cnn/bn2/FusedBatchNormV3", d.names().get("m1"));
    assertEquals(1, r.attributeMismatches().size());
    AttributeMismatch m = r.attributeMismatches().get(0);
    assertEquals("epsilon", m.attribute());
    assertEquals(AttributeValue.of(1e-5), m.values().get("m0"));
    assertEquals(AttributeValue.of(1e-3), m.values().get("m1"));
    assertEquals(
        "layer 'bn2' [pytorch vs tensorflow]: epsilon 1e-05 vs 0.001 — Keras' BatchNormalization"
            + " defaults to 1e-3, PyTorch to 1e-5; set epsilon=1e-05 in the port.",
        words(r).sentence(d.finding()));
    assertEquals(
        "layer 'bn2' [pytorch vs tensorflow] ==> epsilon expected: <1.0E-5> but was: <0.001>",
        words(r).failureText(d.finding()));
    AttributeFinding f = (AttributeFinding) d.finding();
    assertEquals("epsilon", f.attribute());
    assertEquals(AttributeValue.of(1e-5), f.expected());
    assertEquals(AttributeValue.of(1e-3), f.actual());
    assertEquals(LayerStatus.MATCH, row(r, "m0", "conv2").status());
    assertEquals(LayerStatus.DIVERGED, row(r, "m0", "bn2").status());
    assertEquals(LayerStatus.DOWNSTREAM, row(r, "m0", "relu2").status());
    assertTrue(d.metrics().vsReference().get("m1").maxAbsDiff() > 1e-2);
  }

  @Test
  void kernelWithHeightAndWidthSwappedIsAWeightsFindingAtThatConv() {
    Tensor swapped = cnn.w2.transpose(0, 1, 3, 2);
    ComparisonReport r = compare(cnn.torch(1e-5).build(), cnn.keras(1e-5, false, swapped).build());
    Divergence d = r.firstDivergence();
    assertEquals(Cause.WEIGHTS, d.cause());
    assertEquals("conv2", d.names().get("m0"));
    assertEquals(WeightKind.HW_SLIP, ((WeightFinding) d.finding()).kind());
    assertTrue(
        words(r).sentence(d.finding()).contains("kernel equals the reference transposed (H<->W)"),
        words(r).sentence(d.finding()));
    assertEquals(1, r.weightMismatches().size());
    assertEquals("weight", r.weightMismatches().get(0).role());
    assertEquals(LayerStatus.MATCH, row(r, "m0", "relu1").status());
  }

  @Test
  void foldedConvBatchNormAlignsWithConvAndInfersEpsilon() {
    ComparisonReport r = compare(cnn.torch(1e-5).build(), cnn.onnxFolded(1e-5, 1e-5).build());
    assertEquals(
        Verdict.MATCH,
        r.verdict(),
        () -> new dev.portcheck.comparator.output.TextRenderer().render(r));
    LayerComparison conv2 = row(r, "m0", "conv2");
    assertEquals(AlignedBy.FOLDED_FINGERPRINT, conv2.alignedBy());
    assertEquals("/conv2/Conv", conv2.names().get("m1"));
    LayerComparison bn2 = row(r, "m0", "bn2");
    assertEquals(LayerStatus.FOLDED, bn2.status());
    assertTrue(bn2.note().contains("folded into '/conv2/Conv'"), bn2.note());
    // The conv row's statistics are of the tensors compared: m0's BatchNorm output.
    assertEquals(
        bn2.metrics().stats().get("m0").mean(), conv2.metrics().stats().get("m0").mean(), 0);
    assertEquals(2, r.folds().size());
    for (FoldedLayer f : r.folds()) {
      assertEquals(1e-5, f.inferredEpsilon(), 0.05e-5, f.toString());
    }
  }

  @Test
  void foldedWithTheWrongEpsilonIsAnAttributeFindingAtTheFoldedConv() {
    ComparisonReport r = compare(cnn.torch(1e-5).build(), cnn.onnxFolded(1e-5, 1e-3).build());
    Divergence d = r.firstDivergence();
    assertEquals(Cause.ATTRIBUTE, d.cause());
    assertEquals("/conv2/Conv", d.names().get("m1"));
    AttributeMismatch m = r.attributeMismatches().get(0);
    assertEquals("bn2", m.names().get("m0"));
    double inferred = ((AttributeValue.Float) m.values().get("m1")).value();
    assertEquals(1e-3, inferred, 1e-5);
  }

  @Test
  void channelsLastModelAlignsByTransposedFingerprints() {
    ComparisonReport r = compare(cnn.torch(1e-5).build(), cnn.keras(1e-5, true, null).build());
    assertEquals(
        Verdict.MATCH,
        r.verdict(),
        () -> new dev.portcheck.comparator.output.TextRenderer().render(r));
    assertEquals(AlignedBy.PARAMETER_FINGERPRINT, row(r, "m0", "conv1").alignedBy());
    assertEquals(AlignedBy.PARAMETER_FINGERPRINT, row(r, "m0", "bn2").alignedBy());
    assertEquals(AlignedBy.PARAMETER_FINGERPRINT, row(r, "m0", "fc").alignedBy());
    assertEquals("cnn/relu2/Relu", row(r, "m0", "relu2").names().get("m1"));
    assertEquals(
        "transpose(0,3,1,2)", row(r, "m0", "conv1").metrics().vsReference().get("m1").comparedAs());
    LayoutConversion c = r.probes().get(0).conversions().get(0);
    assertEquals("m1", c.modelId());
    assertEquals(List.of(0, 2, 3, 1), c.permutation());
    assertEquals(List.of(1L, 3L, 8L, 8L), r.probes().get(0).inputs().get(0).shape());
  }

  @Test
  void noiseWithinToleranceStillMatches() {
    FakeModel noisy = cnn.onnx(1e-5).tweak("/relu1/Relu", t -> add(t, 3e-6f)).build();
    ComparisonReport r = compare(cnn.torch(1e-5).build(), noisy);
    assertEquals(Verdict.MATCH, r.verdict());
    PairMetrics p = row(r, "m0", "relu1").metrics().vsReference().get("m1");
    assertTrue(p.maxAbsDiff() > 1e-6 && p.maxAbsDiff() < 1e-5, String.valueOf(p.maxAbsDiff()));
  }

  @Test
  void nanInALayerIsReportedAsNanAndDiverges() {
    FakeModel poisoned = cnn.onnx(1e-5).tweak("/relu1/Relu", t -> set(t, 5, Float.NaN)).build();
    ComparisonReport r = compare(cnn.torch(1e-5).build(), poisoned);
    Divergence d = r.firstDivergence();
    assertEquals(Cause.ACTIVATION, d.cause());
    assertEquals("relu1", d.names().get("m0"));
    assertTrue(Double.isNaN(d.metrics().vsReference().get("m1").maxAbsDiff()));
    assertEquals(2, d.metrics().stats().get("m1").nanCount(), "one NaN per probe");
    assertEquals(0, d.metrics().stats().get("m0").nanCount());
    assertTrue(words(r).sentence(d.finding()).contains("NaN"), words(r).sentence(d.finding()));
  }

  @Test
  void threeModelsNameTheOneThatPartsWays() {
    ComparisonReport r =
        compare(
            cnn.torch(1e-5).build(), cnn.onnx(1e-5).build(), cnn.keras(1e-3, false, null).build());
    assertEquals(3, r.models().size());
    Divergence d = r.firstDivergence();
    assertNotNull(d);
    assertEquals("m2", d.modelId());
    assertEquals(Cause.ATTRIBUTE, d.cause());
    assertEquals(3, d.names().size());
    assertTrue(d.metrics().vsReference().get("m1").withinTolerance());
    assertTrue(!d.metrics().vsReference().get("m2").withinTolerance());
    assertEquals(1, r.attributeMismatches().size());
    assertEquals(3, r.attributeMismatches().get(0).values().size());
    assertTrue(words(r).sentence(d.finding()).startsWith("layer 'bn2' [pytorch vs tensorflow]"));
  }

  private static FindingText words(ComparisonReport r) {
    return new FindingText(r.models());
  }

  static Tensor add(Tensor t, float delta) {
    float[] d = t.toFloatArray();
    for (int i = 0; i < d.length; i++) {
      d[i] += delta;
    }
    return Tensor.ofFloats(t.shape(), d);
  }

  static Tensor set(Tensor t, int index, float v) {
    float[] d = t.toFloatArray();
    d[index] = v;
    return Tensor.ofFloats(t.shape(), d);
  }
}
