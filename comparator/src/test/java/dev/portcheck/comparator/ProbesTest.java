package dev.portcheck.comparator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.comparator.probe.ProbeSpec;
import dev.portcheck.comparator.probe.Probes;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.comparator.report.Verdict;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProbesTest {
  private final Cnn cnn = new Cnn(7);

  @Test
  void shapeComesFromTheModelThatDeclaresItAndIsTransposedForChannelsLast() {
    List<ModelView> models = List.of(cnn.torch(1e-5).build(), cnn.keras(1e-5, false, null).build());
    Probes p = Probes.prepare(models, CompareOptions.defaults());
    assertEquals(2, p.probeCount());
    Tensor ref = p.inputs(1, 0).get("x");
    Tensor tf = p.inputs(1, 1).get("inputs");
    assertArrayEquals(new long[] {1, 3, 8, 8}, ref.shape());
    assertArrayEquals(new long[] {1, 8, 8, 3}, tf.shape());
    assertEquals(ref.transpose(0, 2, 3, 1), tf);
    assertEquals(1f, p.inputs(0, 0).get("x").getFloat(17));
  }

  @Test
  void randomProbeIsDeterministicForASeed() {
    List<ModelView> models = List.of(cnn.onnx(1e-5).build(), cnn.torch(1e-5).build());
    Tensor a = Probes.prepare(models, CompareOptions.defaults()).inputs(1, 0).get("input");
    Tensor b = Probes.prepare(models, CompareOptions.defaults()).inputs(1, 1).get("x");
    assertEquals(a, b);
    assertEquals((float) new java.util.Random(0).nextGaussian(), a.getFloat(0));
  }

  @Test
  void undeclaredShapeWithoutOverrideIsAUsageErrorNamingTheInput() {
    List<ModelView> models = List.of(cnn.torch(1e-5).build(), cnn.torch(1e-5).build());
    PortcheckException e =
        assertThrows(
            PortcheckException.class,
            () -> ModelComparison.compare(models, CompareOptions.defaults()));
    assertEquals(PortcheckException.Reason.USAGE, e.reason());
    assertTrue(
        e.getMessage().contains("'x'") && e.getMessage().contains("--shape"), e.getMessage());
  }

  @Test
  void shapeOverrideByNameFeedsModelsThatDeclareNone() {
    List<ModelView> models = List.of(cnn.torch(1e-5).build(), cnn.torch(1e-5).build());
    CompareOptions o = CompareOptions.builder().shape("x", 1, 3, 8, 8).build();
    ComparisonReport r = ModelComparison.compare(models, o);
    assertEquals(Verdict.MATCH, r.verdict());
    assertEquals(List.of(1L, 3L, 8L, 8L), r.probes().get(0).inputs().get(0).shape());
  }

  @Test
  void probeSpecsParseBack() {
    assertEquals(new ProbeSpec.Random(42), ProbeSpec.parse("random:42"));
    assertEquals(ProbeSpec.ONES, ProbeSpec.parse("ones"));
    assertEquals("zeros", ProbeSpec.parse("zeros").describe());
    assertTrue(ProbeSpec.parse("a/b.npy") instanceof ProbeSpec.NpyFile);
    PortcheckException e =
        assertThrows(PortcheckException.class, () -> ProbeSpec.parse("gaussian"));
    assertEquals(PortcheckException.Reason.USAGE, e.reason());
  }
}
