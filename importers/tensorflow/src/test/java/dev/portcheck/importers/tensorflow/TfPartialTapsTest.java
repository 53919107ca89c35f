package dev.portcheck.importers.tensorflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Tapping some layers must not change what the graph computes. The set below is the one compare
 * taps on the onnx2tf transformer (every layer but the three MatMuls whose rows are compared at
 * their bias add): fetched as such, TensorFlow's oneDNN rewrites moved the logits by 0.03.
 */
class TfPartialTapsTest {
  private static final String FILE = "models/transformer/transformer.onnx2tf.savedmodel";
  private static final Set<String> LEFT_OUT =
      Set.of("tf.linalg.matmul_8", "tf.linalg.matmul_10", "tf.linalg.matmul_11");

  @Test
  void partialTapSetGivesTheSameValuesAsTappingEveryLayer() {
    Tensor input = Fixtures.npy(Fixtures.file(FILE).path("referenceInputs").path("ones").asText());
    try (ModelView v = Importers.open(Fixtures.path(FILE))) {
      Map<String, Tensor> feed = Map.of(v.inputs().get(0).name(), input);
      List<String> some =
          v.layers().stream().map(Layer::name).filter(n -> !LEFT_OUT.contains(n)).toList();
      assertEquals(v.layers().size() - 3, some.size(), "the three MatMuls exist");
      RunResult all = v.run(feed, TapSelection.ALL);
      RunResult part = v.run(feed, TapSelection.of(some));
      assertEquals(some, List.copyOf(part.layerOutputs().keySet()), "only the requested layers");
      String out = v.outputs().get(0).name();
      assertArrayEquals(
          all.outputs().get(out).toFloatArray(), part.outputs().get(out).toFloatArray(), 1e-6f);
      for (String name : List.of("layer_normalization_1", "tf.math.add_2")) {
        assertArrayEquals(
            all.layerOutputs().get(name).toFloatArray(),
            part.layerOutputs().get(name).toFloatArray(),
            1e-6f,
            name);
      }
    }
  }
}
