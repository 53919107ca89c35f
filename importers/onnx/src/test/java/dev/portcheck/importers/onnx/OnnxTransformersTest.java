package dev.portcheck.importers.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The Hugging Face transformer set's ONNX exports (TorchScript-based and dynamo exporters). */
class OnnxTransformersTest {

  static Stream<String> files() {
    return Fixtures.transformerFiles(f -> "onnx".equals(f.path("framework").asText())).stream()
        .map(f -> f.path("path").asText());
  }

  @ParameterizedTest
  @MethodSource("files")
  void tokenIdsGiveTheReferenceLogitsWithEveryLayerTapped(String rel) {
    JsonNode entry = Fixtures.transformerFile(rel);
    try (ModelView m = new OnnxImporter().open(Fixtures.path(rel))) {
      List<String> names = new ArrayList<>();
      m.inputs().forEach(i -> names.add(i.name()));
      List<String> declared = new ArrayList<>();
      entry.path("inputs").forEach(i -> declared.add(i.path("name").asText()));
      assertEquals(declared, names);
      assertTrue(m.inputs().stream().allMatch(i -> i.dtype() == DType.INT64), rel);
      for (String probe : List.of("ones", "random")) {
        RunResult r = m.run(Fixtures.transformerInputs(entry, probe), TapSelection.ALL);
        Tensor want = Fixtures.npy(entry.path("reference").path(probe).asText());
        Tensor got = r.outputs().get("logits");
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
          assertEquals(want.getFloat(i), got.getFloat(i), 1e-5, rel + " " + probe + " [" + i + "]");
        }
        assertTrue(r.untapped().isEmpty(), rel + " untapped " + r.untapped());
      }
    }
  }

  @ParameterizedTest
  @MethodSource("files")
  void layerNormsCarryTheModelsEpsilon(String rel) {
    JsonNode entry = Fixtures.transformerFile(rel);
    double expected =
        "bert".equals(entry.path("family").asText())
            ? ("eps_bug".equals(entry.path("variant").asText()) ? 1e-3 : 1e-12)
            : 1e-5;
    try (ModelView m = new OnnxImporter().open(Fixtures.path(rel))) {
      List<Layer> norms = m.layers().stream().filter(l -> l.kind() == OpKind.LAYER_NORM).toList();
      List<String> names = norms.stream().map(Layer::name).toList();
      List<String> listed = new ArrayList<>();
      entry.path("layerNormalizationNodes").forEach(n -> listed.add(n.asText()));
      assertEquals(listed, names);
      for (Layer l : norms) {
        assertEquals(expected, l.epsilon().orElseThrow(), expected * 1e-6, l.name());
      }
    }
  }
}
