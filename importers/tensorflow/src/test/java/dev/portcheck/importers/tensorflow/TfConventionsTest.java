package dev.portcheck.importers.tensorflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.LayoutConvention;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpRole;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The TensorFlow importer declares the op roles and layouts the comparator needs. */
class TfConventionsTest {
  @Test
  void biasAddAndMirrorPadAreDeclaredRolesAndUndeclaredFeatureMapsAreChannelsLast() {
    TfImporter importer = new TfImporter();
    assertEquals("tensorflow-java", importer.engine());
    assertEquals(Set.of(OpRole.BIAS_ADD), importer.roles("BiasAdd"));
    assertEquals(Set.of(OpRole.EDGE_PAD), importer.roles("MirrorPad"));
    assertEquals(Set.of(), importer.roles("Pad"));
    assertEquals(Set.of(OpRole.LOOKUP), importer.roles("GatherV2"));
    assertEquals(Set.of(OpRole.LOOKUP), importer.roles("Embedding"));
    assertEquals(Set.of(), importer.roles("GatherNd"));
    assertEquals(Set.of(OpRole.ERF), importer.roles("Erf"));
    try (ModelView v = Importers.open(Fixtures.path("models/cnn/cnn.keras.frozen.pb"))) {
      for (Layer l : v.layers()) {
        assertEquals(importer.roles(l.opType()), v.roles(l), l.name());
      }
      assertEquals(LayoutConvention.CHANNELS_LAST, v.layoutConvention());
      TensorInfo undeclared =
          new TensorInfo("x", DType.FLOAT32, List.of(1L, 8L, 8L, 3L), Layout.UNSPECIFIED);
      assertEquals(Layout.NHWC, v.inputLayout(undeclared, 4));
      assertTrue(v.declaresInputTypes());
    }
  }
}
