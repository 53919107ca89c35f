package dev.portcheck.importers.tensorflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sessions and graphs are released deterministically and runs are repeatable. */
class TfNativeHygieneTest {
  private static final String CNN = "models/cnn/cnn.keras.savedmodel";

  @Test
  void openRunCloseTwentyTimesGivesTheSameOutputEachTime() {
    Tensor x = Tensor.filled(new long[] {1, 32, 32, 3}, 1f);
    float[] first = null;
    for (int i = 0; i < 20; i++) {
      try (ModelView v = Importers.open(Fixtures.path(CNN))) {
        RunResult r = v.run(Map.of("input", x), TapSelection.ALL);
        float[] out = r.outputs().get("logits").toFloatArray();
        if (first == null) {
          first = out;
        }
        assertArrayEquals(first, out);
      }
    }
  }

  @Test
  void sessionIsReusedAcrossRuns() {
    Tensor x = Tensor.filled(new long[] {1, 32, 32, 3}, 1f);
    try (ModelView v = Importers.open(Fixtures.path(CNN))) {
      RunResult a = v.run(Map.of("input", x), TapSelection.of("bn2"));
      RunResult b = v.run(Map.of("input", x), TapSelection.of("bn2"));
      assertEquals(a.layerOutputs().get("bn2"), b.layerOutputs().get("bn2"));
    }
  }

  @Test
  void runInPlaceViewsTheFetchedTensorsWithTheCopiedRunsValuesUntilTheNextRunOrClose() {
    Map<String, Tensor> ones = Map.of("input", Tensor.filled(new long[] {1, 32, 32, 3}, 1f));
    Map<String, Tensor> halves = Map.of("input", Tensor.filled(new long[] {1, 32, 32, 3}, 0.5f));
    Tensor live;
    try (ModelView v = Importers.open(Fixtures.path(CNN))) {
      RunResult copied = v.run(ones, TapSelection.ALL);
      RunResult inPlace = v.runInPlace(ones, TapSelection.ALL);
      assertTrue(inPlace.layerOutputs().get("bn2").isView());
      assertFalse(copied.layerOutputs().get("bn2").isView());
      assertEquals(copied.outputs(), inPlace.outputs());
      assertEquals(copied.layerOutputs(), inPlace.layerOutputs());
      Tensor kept = inPlace.layerOutputs().get("bn2").detached();
      Map<String, Tensor> copiedHalves = v.run(halves, TapSelection.ALL).layerOutputs();
      try (RunResult next = v.runInPlace(halves, TapSelection.ALL)) {
        // A view of the earlier run is refused (its tensor is released); the detached copy keeps
        // the first run's values.
        Tensor stale = inPlace.layerOutputs().get("bn2");
        IllegalStateException e = assertThrows(IllegalStateException.class, stale::toFloatArray);
        assertEquals(
            "tensor 'bn2' was read after cnn.keras.savedmodel ran again; call detached() to keep"
                + " it",
            e.getMessage());
        assertEquals(copied.layerOutputs().get("bn2"), kept);
        assertNotEquals(kept, next.layerOutputs().get("bn2"));
        assertEquals(copiedHalves, next.layerOutputs());
        live = next.layerOutputs().get("bn2");
        assertEquals(copiedHalves.get("bn2"), live);
      }
      // Closing the result leaves the model's tensors to its next run or close, but ends the view.
      assertThrows(IllegalStateException.class, live::toFloatArray);
      assertEquals(copiedHalves, v.run(halves, TapSelection.ALL).layerOutputs());
      live = v.runInPlace(halves, TapSelection.of("bn2")).layerOutputs().get("bn2");
      assertEquals(copiedHalves.get("bn2"), live);
    }
    IllegalStateException e = assertThrows(IllegalStateException.class, live::floatBuffer);
    assertEquals(
        "tensor 'bn2' was read after cnn.keras.savedmodel was closed; call detached() to keep it",
        e.getMessage());
  }

  @Test
  void secondCloseIsHarmlessAndRunAfterCloseIsRefused() {
    ModelView v = Importers.open(Fixtures.path(CNN));
    v.close();
    v.close();
    Tensor x = Tensor.filled(new long[] {1, 32, 32, 3}, 1f);
    PortcheckException e =
        assertThrows(PortcheckException.class, () -> v.run(Map.of("input", x), TapSelection.NONE));
    assertEquals(PortcheckException.Reason.NOT_RUNNABLE, e.reason());
  }
}
