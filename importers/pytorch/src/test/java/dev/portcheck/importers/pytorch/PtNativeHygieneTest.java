package dev.portcheck.importers.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
