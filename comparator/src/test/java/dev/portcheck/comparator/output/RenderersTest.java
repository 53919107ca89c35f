package dev.portcheck.comparator.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.ModelComparison;
import dev.portcheck.comparator.TestModels;
import dev.portcheck.comparator.report.ComparisonReport;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RenderersTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static Set<String> fields(JsonNode n) {
    Set<String> s = new HashSet<>();
    n.fieldNames().forEachRemaining(s::add);
    return s;
  }

  @Test
  void jsonCarriesExactlyTheContractNames() throws Exception {
    ComparisonReport r =
        ModelComparison.compare(TestModels.epsilonBugPair(), CompareOptions.defaults());
    JsonNode root = MAPPER.readTree(new JsonRenderer().render(r));
    assertEquals(
        Set.of(
            "schemaVersion",
            "verdict",
            "models",
            "probes",
            "firstDivergence",
            "attributeMismatches",
            "weightMismatches",
            "layers",
            "outputs",
            "notes",
            "folds",
            "labels"),
        fields(root));
    assertEquals(1, root.get("schemaVersion").asInt());
    assertEquals("DIVERGED", root.get("verdict").asText());
    assertEquals(Set.of("id", "path", "framework"), fields(root.get("models").get(0)));
    assertEquals("m0", root.get("models").get(0).get("id").asText());
    assertEquals("pytorch", root.get("models").get(0).get("framework").asText());
    assertEquals("tensorflow", root.get("models").get(1).get("framework").asText());
    JsonNode d = root.get("firstDivergence");
    assertTrue(fields(d).containsAll(Set.of("names", "opType", "cause", "explanation", "metrics")));
    assertEquals("ATTRIBUTE", d.get("cause").asText());
    assertEquals("bn2", d.get("names").get("m0").asText());
    assertEquals("cnn/bn2/FusedBatchNormV3", d.get("names").get("m1").asText());
    assertTrue(d.get("metrics").get("vsReference").get("m1").get("maxAbsDiff").isNumber());
    JsonNode m = root.get("attributeMismatches").get(0);
    assertTrue(fields(m).containsAll(Set.of("names", "attribute", "values")));
    assertEquals("epsilon", m.get("attribute").asText());
    assertEquals(1e-5, m.get("values").get("m0").asDouble());
    assertEquals(0.001, m.get("values").get("m1").asDouble());
    JsonNode layer = root.get("layers").get(0);
    assertTrue(
        fields(layer).containsAll(Set.of("names", "opType", "status", "alignedBy", "metrics")));
    assertEquals("MATCH", layer.get("status").asText());
    assertEquals("PARAMETER_NAME", layer.get("alignedBy").asText());
    assertTrue(root.get("labels").isNull());
    JsonNode out = root.get("outputs").get(0);
    assertTrue(out.get("maxAbsDiff").isNumber() && out.get("cosine").isNumber());
    assertEquals("ones", root.get("probes").get(0).get("label").asText());
  }

  @Test
  void jsonWritesNanAsAString() throws Exception {
    ComparisonReport r = ModelComparison.compare(TestModels.nanPair(), CompareOptions.defaults());
    JsonNode root = MAPPER.readTree(new JsonRenderer().render(r));
    JsonNode p = root.get("firstDivergence").get("metrics").get("vsReference").get("m1");
    assertEquals("NaN", p.get("maxAbsDiff").asText());
    assertTrue(p.get("maxAbsDiff").isTextual());
    assertEquals(
        2,
        root.get("firstDivergence").get("metrics").get("stats").get("m1").get("nanCount").asInt());
  }

  @Test
  void textShowsTheTableMismatchAndVerdict() {
    ComparisonReport r =
        ModelComparison.compare(TestModels.epsilonBugPair(), CompareOptions.defaults());
    String text = new TextRenderer().render(r);
    System.out.println(text);
    List<String> lines = text.lines().toList();
    assertTrue(
        lines.stream()
            .anyMatch(
                l ->
                    l.startsWith("bn2")
                        && l.contains("DIVERGED")
                        && l.contains("cnn/bn2/FusedBatchNormV3")),
        text);
    assertTrue(
        text.contains(
            "epsilon at {m0=bn2, m1=cnn/bn2/FusedBatchNormV3}: m0=1.0E-5 vs" + " m1=0.001"),
        text);
    assertTrue(text.contains("verdict: DIVERGED"), text);
    assertTrue(
        text.contains("first divergence (ATTRIBUTE): layer 'bn2' [pytorch vs tensorflow]"), text);
  }
}
