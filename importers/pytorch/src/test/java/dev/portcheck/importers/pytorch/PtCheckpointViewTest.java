package dev.portcheck.importers.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.WeightLayout;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class PtCheckpointViewTest {

  @Test
  void zipStateDictListsManifestKeysAndIsNotRunnable() {
    for (JsonNode f : Fixtures.files(n -> n.path("format").asText().equals("state_dict"))) {
      try (ModelView v = Importers.open(Fixtures.path(f.path("path").asText()))) {
        List<String> expected = new ArrayList<>();
        f.path("stateDictKeys").forEach(k -> expected.add(k.asText()));
        assertEquals(new TreeSet<>(expected), new TreeSet<>(v.parameters().keySet()));
        assertFalse(v.runnable());
        PortcheckException e =
            assertThrows(PortcheckException.class, () -> v.run(Map.of(), TapSelection.NONE));
        assertEquals(PortcheckException.Reason.NOT_RUNNABLE, e.reason());
        assertTrue(e.getMessage().contains("export TorchScript"));
      }
    }
  }

  @Test
  void cnnStateDictValuesAreBitExact() {
    try (ModelView v = Importers.open(Fixtures.path("models/cnn/cnn.pth"))) {
      // Values printed by torch.load in the venv.
      Tensor var = v.parameter("bn1.running_var");
      assertEquals(1.8961464166641235f, var.getFloat(0));
      assertEquals(0.7312581539154053f, var.getFloat(1));
      Tensor w = v.parameter("conv2.weight");
      assertEquals(List.of(16L, 8L, 3L, 3L), v.parameters().get("conv2.weight").shape());
      assertEquals(0.13975542783737183f, w.getFloat(0));
      assertEquals(-0.07466338574886322f, w.getFloat(2));
      assertEquals(WeightLayout.OIHW, v.parameters().get("conv2.weight").layout());
      assertEquals(WeightLayout.OI, v.parameters().get("fc.weight").layout());
      assertEquals(WeightLayout.VECTOR, v.parameters().get("fc.bias").layout());
      Layer bn = v.layer("bn1").orElseThrow();
      assertEquals(OpKind.BATCH_NORM, bn.kind());
      assertEquals("bn1.running_var", bn.parameters().get("variance"));
      assertTrue(bn.attributes().isEmpty());
      assertEquals(OpKind.LINEAR, v.layer("fc").orElseThrow().kind());
    }
  }

  @Test
  void legacyRfbCheckpointReadsNamesShapesAndValues() {
    try (ModelView v = Importers.open(Fixtures.realModel("version-RFB-320.pth"))) {
      assertEquals(244, v.parameters().size());
      assertEquals("legacy", v.metadata().get("container"));
      assertEquals(List.of(16L), v.parameters().get("base_net.0.1.running_var").shape());
      assertEquals(List.of(16L, 3L, 3L, 3L), v.parameters().get("base_net.0.0.weight").shape());
      Tensor var = v.parameter("base_net.0.1.running_var");
      assertEquals(0x3fb10fee, Float.floatToRawIntBits(var.getFloat(0)));
      assertEquals(0x3eeb2817, Float.floatToRawIntBits(var.getFloat(1)));
      assertEquals(0x3df4c867, Float.floatToRawIntBits(var.getFloat(2)));
      Tensor w = v.parameter("base_net.0.0.weight");
      assertEquals(0xbf037a8c, Float.floatToRawIntBits(w.getFloat(0)));
      assertEquals(0xbee686fa, Float.floatToRawIntBits(w.getFloat(2)));
      Tensor n = v.parameter("base_net.0.1.num_batches_tracked");
      assertEquals(DType.INT64, n.dtype());
      assertEquals(86296L, n.getLong(0));
      Layer bn = v.layer("base_net.0.1").orElseThrow();
      assertEquals(OpKind.BATCH_NORM, bn.kind());
      assertEquals(
          Map.of(
              "scale", "base_net.0.1.weight",
              "offset", "base_net.0.1.bias",
              "mean", "base_net.0.1.running_mean",
              "variance", "base_net.0.1.running_var"),
          bn.parameters());
      assertEquals(OpKind.CONV, v.layer("base_net.0.0").orElseThrow().kind());
    }
  }

  @Test
  void unknownParameterIsNotFound() {
    try (ModelView v = Importers.open(Fixtures.path("models/cnn/cnn.pth"))) {
      PortcheckException e = assertThrows(PortcheckException.class, () -> v.parameter("nope"));
      assertEquals(PortcheckException.Reason.NOT_FOUND, e.reason());
    }
  }
}
