package dev.portcheck.importers.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PtNativeHygieneTest {
  @Test
  void openRunCloseTwentyTimesGivesIdenticalResultsAndDoubleCloseIsHarmless() {
    Tensor ones = Tensor.filled(new long[] {1, 3, 32, 32}, 1f);
    Tensor first = null;
    for (int i = 0; i < 20; i++) {
      ModelView v = Importers.open(Fixtures.path("models/cnn/cnn.torchscript.pt"));
      try (v) {
        RunResult r = v.run(Map.of("x", ones), i % 2 == 0 ? TapSelection.ALL : TapSelection.NONE);
        Tensor out = r.outputs().get("output");
        if (first == null) {
          first = out;
        }
        assertEquals(first, out);
      }
      v.close();
      assertThrows(IllegalStateException.class, () -> v.run(Map.of("x", ones), TapSelection.NONE));
    }
  }

  @Test
  void runInPlaceFillsReusedBuffersWithTheCopiedRunsValues() {
    Tensor ones = Tensor.filled(new long[] {1, 3, 32, 32}, 1f);
    Tensor halves = Tensor.filled(new long[] {1, 3, 32, 32}, 0.5f);
    try (ModelView v = Importers.open(Fixtures.path("models/cnn/cnn.torchscript.pt"))) {
      RunResult copied = v.run(Map.of("x", ones), TapSelection.ALL);
      RunResult inPlace = v.runInPlace(Map.of("x", ones), TapSelection.ALL);
      assertTrue(inPlace.layerOutputs().get("bn1").isView());
      assertFalse(copied.layerOutputs().get("bn1").isView());
      assertEquals(copied.outputs(), inPlace.outputs());
      assertEquals(copied.layerOutputs(), inPlace.layerOutputs());
      Tensor kept = inPlace.layerOutputs().get("bn1").detached();
      Map<String, Tensor> copiedHalves =
          v.run(Map.of("x", halves), TapSelection.ALL).layerOutputs();
      try (RunResult next = v.runInPlace(Map.of("x", halves), TapSelection.ALL)) {
        // A view of the earlier run is refused, not read with this run's values; the detached
        // copy keeps the first run's values.
        Tensor stale = inPlace.layerOutputs().get("bn1");
        IllegalStateException e = assertThrows(IllegalStateException.class, stale::floatBuffer);
        assertEquals(
            "tensor 'bn1' was read after cnn.torchscript.pt ran again; call detached() to keep it",
            e.getMessage());
        assertEquals(copied.layerOutputs().get("bn1"), kept);
        assertNotEquals(kept, next.layerOutputs().get("bn1"));
        assertEquals(copiedHalves, next.layerOutputs());
        Tensor live = next.layerOutputs().get("bn1");
        next.close();
        next.close();
        assertThrows(IllegalStateException.class, live::toFloatArray);
        assertEquals(copied.layerOutputs().get("bn1"), kept);
      }
    }
  }

  @Test
  void tappedRunRecordsOnlyTheSelectionAndFollowsAChangeOfBatchSize() {
    Tensor one = Tensor.filled(new long[] {1, 3, 32, 32}, 0.25f);
    Tensor two = Tensor.filled(new long[] {2, 3, 32, 32}, -0.5f);
    TapSelection some = TapSelection.of("conv1", "bn1");
    try (ModelView v = Importers.open(Fixtures.path("models/cnn/cnn.torchscript.pt"))) {
      Map<String, Tensor> allOne = v.run(Map.of("x", one), TapSelection.ALL).layerOutputs();
      Map<String, Tensor> allTwo = v.run(Map.of("x", two), TapSelection.ALL).layerOutputs();
      // The first tapped run in place has no buffers yet, the second fills those of the first
      // shape, the third meets a new batch size: each must hold exactly its own run's values.
      for (Tensor x : new Tensor[] {one, one, two, two, one}) {
        Map<String, Tensor> expected = x == one ? allOne : allTwo;
        try (RunResult r = v.runInPlace(Map.of("x", x), some)) {
          assertEquals(
              java.util.List.of("conv1", "bn1"), java.util.List.copyOf(r.layerOutputs().keySet()));
          assertEquals(expected.get("conv1"), r.layerOutputs().get("conv1").detached());
          assertEquals(expected.get("bn1"), r.layerOutputs().get("bn1").detached());
          assertTrue(r.untapped().isEmpty());
        }
        assertEquals(
            Map.of("conv1", expected.get("conv1"), "bn1", expected.get("bn1")),
            v.run(Map.of("x", x), some).layerOutputs());
      }
    }
  }
}
