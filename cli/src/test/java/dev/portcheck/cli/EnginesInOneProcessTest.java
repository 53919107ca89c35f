package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * TensorFlow must compute its Python results while libtorch is loaded in the same JVM, as it is in
 * every compare of a TorchScript file with a SavedModel. With TensorFlow's oneDNN kernels on, the
 * onnx2tf transformer's logits moved by 0.029 on an all-ones input (and by nothing in a JVM without
 * libtorch); the build and the launcher set {@code TF_ENABLE_ONEDNN_OPTS=0}.
 */
class EnginesInOneProcessTest {
  private static final String TF = "models/transformer/transformer.onnx2tf.savedmodel";
  private static final String PT = "models/transformer/transformer.torchscript.pt";

  @Test
  void tensorflowReproducesItsPythonResultsWithLibtorchLoaded() {
    JsonNode tf = Fixtures.file(TF);
    Tensor ones = Fixtures.npy(tf.path("referenceInputs").path("ones").asText());
    Tensor expected = Fixtures.npy(tf.path("reference").path("ones").asText());
    try (ModelView pt = Importers.open(Fixtures.path(PT));
        ModelView v = Importers.open(Fixtures.path(TF))) {
      assertEquals(Framework.PYTORCH, pt.framework());
      pt.run(Map.of(pt.inputs().get(0).name(), ones), TapSelection.ALL);
      for (TapSelection taps : new TapSelection[] {TapSelection.NONE, TapSelection.ALL}) {
        Tensor out =
            v.run(Map.of(v.inputs().get(0).name(), ones), taps)
                .outputs()
                .get(v.outputs().get(0).name());
        double diff = 0;
        for (int i = 0; i < out.size(); i++) {
          diff = Math.max(diff, Math.abs(out.getFloat(i) - expected.getFloat(i)));
        }
        assertTrue(
            diff < 1e-4,
            "TensorFlow output vs its Python reference, taps " + taps + ": max abs diff " + diff);
      }
    }
  }
}
