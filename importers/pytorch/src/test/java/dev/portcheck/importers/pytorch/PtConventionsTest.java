package dev.portcheck.importers.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpRole;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The PyTorch importer declares its engine and conventions; the comparator no longer guesses. */
class PtConventionsTest {
  @Test
  void theImporterNamesItsEngineAndTheVersionOfItsJar() {
    PtImporter importer = new PtImporter();
    assertEquals("djl-pytorch", importer.engine());
    assertTrue(importer.engineVersion().matches("\\d+\\.\\d+\\.\\d+.*"), importer.engineVersion());
    assertEquals(importer.engineVersion(), Importers.engineVersions().get("djl-pytorch"));
  }

  @Test
  void torchScriptFeatureMapsResolveChannelsFirstAndItsDeclaredInputTypesDoNotBind() {
    try (ModelView v = Importers.open(Fixtures.path("models/cnn/cnn.torchscript.pt"))) {
      // TorchScript modules declare no layout: the importer resolves it by rank.
      assertEquals(Layout.UNSPECIFIED, v.layer("bn1").orElseThrow().layout());
      assertEquals(Layout.NCHW, v.activationLayout("bn1", 4));
      assertEquals(Layout.UNSPECIFIED, v.activationLayout("fc", 2));
      TensorInfo x = v.inputs().get(0);
      assertEquals(Layout.NCHW, v.inputLayout(x, 4));
      assertFalse(v.declaresInputTypes());
      assertTrue(v.roles(v.layer("bn1").orElseThrow()).isEmpty());
    }
  }

  @Test
  void embeddingModulesAreDeclaredLookups() {
    try (ModelView v = Importers.open(Fixtures.path("models/bert/bert.torchscript.pt"))) {
      Layer words = v.layer("bert.embeddings.word_embeddings").orElseThrow();
      assertEquals(Set.of(OpRole.LOOKUP), v.roles(words));
      assertEquals(Set.of(), v.roles(v.layer("bert.embeddings.LayerNorm").orElseThrow()));
    }
  }
}
