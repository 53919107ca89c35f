package dev.portcheck.importers.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sessions and tensors are released deterministically; repeated use does not leak or break. */
class OnnxNativeHygieneTest {
  private final OnnxImporter importer = new OnnxImporter();

  @Test
  void openRunCloseFiftyTimesGivesTheSameAnswer() {
    Map<String, Tensor> in = Map.of("input", Tensor.filled(new long[] {1, 3, 240, 320}, 1f));
    Tensor first = null;
    for (int i = 0; i < 50; i++) {
      try (ModelView m = importer.open(Fixtures.realModel("version-RFB-320_simplified.onnx"))) {
        RunResult r = m.run(in, TapSelection.of("Conv_0"));
        Tensor boxes = r.outputs().get("boxes");
        if (first == null) {
          first = boxes;
        }
        assertEquals(first, boxes, "run " + i);
      }
    }
  }

  @Test
  void repeatedRunsReuseTheSessionAndAgree() {
    try (ModelView m = importer.open(Fixtures.realModel("version-RFB-320_simplified.onnx"))) {
      Map<String, Tensor> in = Map.of("input", Tensor.filled(new long[] {1, 3, 240, 320}, 1f));
      RunResult a = m.run(in, TapSelection.ALL);
      RunResult b = m.run(in, TapSelection.NONE);
      RunResult c = m.run(in, TapSelection.ALL);
      assertEquals(a.outputs(), c.outputs());
      assertEquals(a.layerOutputs(), c.layerOutputs());
      assertEquals(110, a.layerOutputs().size());
      assertEquals(0, b.layerOutputs().size());
      float maxDiff = 0;
      float[] x = a.outputs().get("scores").toFloatArray();
      float[] y = b.outputs().get("scores").toFloatArray();
      for (int i = 0; i < x.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
      }
      assertEquals(0f, maxDiff, 1e-6f, "tapping does not change the model output");
    }
  }

  @Test
  void runInPlaceWritesIntoReusedBuffersWithTheCopiedRunsValues() {
    try (ModelView m = importer.open(Fixtures.realModel("version-RFB-320_simplified.onnx"))) {
      Map<String, Tensor> ones = Map.of("input", Tensor.filled(new long[] {1, 3, 240, 320}, 1f));
      Map<String, Tensor> halves =
          Map.of("input", Tensor.filled(new long[] {1, 3, 240, 320}, 0.5f));
      RunResult copied = m.run(ones, TapSelection.ALL);
      // The first run in place learns the output shapes (and copies); later ones are views.
      RunResult first = m.runInPlace(ones, TapSelection.ALL);
      RunResult second = m.runInPlace(ones, TapSelection.ALL);
      assertFalse(first.layerOutputs().get("Conv_0").isView());
      assertTrue(second.layerOutputs().get("Conv_0").isView());
      assertTrue(second.outputs().get("scores").isView());
      assertEquals(copied.outputs(), second.outputs());
      assertEquals(copied.layerOutputs(), second.layerOutputs());
      Tensor kept = second.layerOutputs().get("Conv_0").detached();
      Map<String, Tensor> copiedHalves = m.run(halves, TapSelection.ALL).layerOutputs();
      RunResult third = m.runInPlace(halves, TapSelection.ALL);
      // The contract: a view of an earlier run is refused (its buffer now holds this run's
      // values); what was detached keeps its own.
      Tensor stale = second.layerOutputs().get("Conv_0");
      IllegalStateException e = assertThrows(IllegalStateException.class, stale::toFloatArray);
      assertTrue(e.getMessage().contains("ran again; call detached() to keep it"), e.getMessage());
      assertTrue(e.getMessage().contains("version-RFB-320_simplified.onnx"), e.getMessage());
      assertNotEquals(kept, third.layerOutputs().get("Conv_0"));
      assertEquals(copied.layerOutputs().get("Conv_0"), kept);
      assertEquals(copiedHalves, third.layerOutputs());
      third.close();
      third.close();
      assertThrows(IllegalStateException.class, () -> third.outputs().get("scores").floatBuffer());
      assertEquals(copied.layerOutputs().get("Conv_0"), kept);
    }
  }

  @Test
  void aViewReadAfterItsModelClosedThrowsInsteadOfReadingFreedMemory() {
    ModelView m = importer.open(Fixtures.realModel("version-RFB-320_simplified.onnx"));
    Map<String, Tensor> ones = Map.of("input", Tensor.filled(new long[] {1, 3, 240, 320}, 1f));
    m.runInPlace(ones, TapSelection.ALL).close();
    RunResult views = m.runInPlace(ones, TapSelection.ALL);
    Tensor scores = views.outputs().get("scores");
    assertTrue(scores.isView());
    Tensor kept = scores.detached();
    m.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> scores.getFloat(0));
    assertTrue(e.getMessage().contains("was closed"), e.getMessage());
    assertEquals(kept.size(), kept.toFloatArray().length);
  }

  @Test
  void secondCloseIsHarmlessAndRunAfterCloseFailsCleanly() {
    ModelView m = importer.open(Fixtures.realModel("version-RFB-320_simplified.onnx"));
    Map<String, Tensor> in = Map.of("input", Tensor.filled(new long[] {1, 3, 240, 320}, 1f));
    m.run(in, TapSelection.NONE);
    m.close();
    m.close();
    PortcheckException e =
        assertThrows(PortcheckException.class, () -> m.run(in, TapSelection.NONE));
    assertEquals(PortcheckException.Reason.NOT_RUNNABLE, e.reason());
  }
}
