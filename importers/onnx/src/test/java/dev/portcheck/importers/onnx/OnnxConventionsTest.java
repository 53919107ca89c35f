package dev.portcheck.importers.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpRole;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The ONNX importer declares the op roles the comparator needs instead of it matching names. */
class OnnxConventionsTest {
  @Test
  void gatherIsALookupErfMarksExactGeluAndBiasAddAddsABias() {
    OnnxImporter importer = new OnnxImporter();
    assertEquals(Set.of(OpRole.LOOKUP), importer.roles("Gather"));
    assertEquals(Set.of(OpRole.ERF), importer.roles("Erf"));
    assertEquals(Set.of(OpRole.BIAS_ADD), importer.roles("BiasAdd"));
    assertEquals(Set.of(), importer.roles("GatherElements"));
  }

  @Test
  void bertsEmbeddingTablesAreReadByDeclaredLookups() {
    try (ModelView v = Importers.open(Fixtures.path("models/bert/bert.onnx"))) {
      List<Layer> lookups =
          v.layers().stream()
              .filter(l -> v.roles(l).contains(OpRole.LOOKUP))
              .filter(l -> l.parameters().containsKey("weight"))
              .toList();
      assertTrue(
          lookups.stream().anyMatch(l -> l.parameters().get("weight").contains("word_embeddings")),
          lookups.toString());
    }
  }
}
