package dev.portcheck.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.importers.api.PortcheckException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench's JSON: the whole-process fields it gained, and the arguments that feed them. */
class BenchFiguresTest {
  private static final BenchFigures.ProcessRun PORTCHECK =
      new BenchFigures.ProcessRun("./portcheck compare r.onnx r.onnx", 3000, 900, 0);
  private static final BenchFigures.ProcessRun POLYGRAPHY =
      new BenchFigures.ProcessRun("polygraphy run r.onnx", 6000, 1200, 0);

  private static JsonNode json(BenchFigures f) throws Exception {
    ObjectMapper m = new ObjectMapper();
    return m.readTree(m.writeValueAsString(f));
  }

  @Test
  void wholeProcessRunsAreWrittenWithTheirRatiosToPolygraphy() throws Exception {
    BenchFigures f =
        new BenchFigures(
            1,
            5,
            2,
            List.of(),
            0,
            null,
            null,
            new BenchFigures.Polygraphy(POLYGRAPHY.command(), 6000, 0, 1200),
            new BenchFigures.WholeProcess("r.onnx", PORTCHECK, POLYGRAPHY),
            List.of(
                new BenchFigures.CompareSet(
                    "bert", List.of("b.pt", "b.onnx"), 876, "MATCH", null, PORTCHECK)));
    JsonNode j = json(f);
    // the fields the bench wrote before keep their names
    assertEquals(6000, j.path("polygraphy").path("wallMs").asDouble());
    assertEquals(0, j.path("polygraphy").path("exitCode").asInt());
    assertEquals(1200, j.path("polygraphy").path("peakRssMiB").asDouble());
    JsonNode w = j.path("wholeProcess");
    assertEquals("r.onnx", w.path("model").asText());
    assertEquals(900, w.path("portcheck").path("peakRssMiB").asDouble());
    assertEquals(0.5, w.path("wallOverPolygraphy").asDouble(), 1e-12);
    assertEquals(0.75, w.path("peakRssOverPolygraphy").asDouble(), 1e-12);
    JsonNode set = j.path("compareSets").get(0);
    assertEquals("bert", set.path("name").asText());
    assertEquals("b.onnx", set.path("models").get(1).asText());
    assertEquals(876, set.path("weightBytes").asLong());
    assertEquals("MATCH", set.path("verdict").asText());
    assertFalse(set.has("message"), "no message when a report was written");
    assertEquals(3000, set.path("process").path("wallMs").asDouble());
  }

  @Test
  void withoutWholeProcessRunsTheirFieldsAreLeftOut() throws Exception {
    JsonNode j = json(new BenchFigures(1, 5, 2, List.of(), 0, null, null, null, null, List.of()));
    assertFalse(j.has("wholeProcess"));
    assertFalse(j.has("compareSets"));
    assertFalse(j.has("polygraphy"));
  }

  @Test
  void aCompareSetIsANameThenTwoOrThreeModels() {
    BenchCommand.SetSpec s = BenchCommand.SetSpec.parse("gpt2_1b=a/g.pt, a/g.onnx");
    assertEquals("gpt2_1b", s.name());
    assertEquals(List.of(Path.of("a/g.pt"), Path.of("a/g.onnx")), s.models());
    assertEquals(3, BenchCommand.SetSpec.parse("b=x.pt,x.onnx,x.savedmodel").models().size());
    for (String bad :
        List.of("x.pt,x.onnx", "=x.pt,x.onnx", "b=x.pt", "b=x.pt,,x.onnx", "b=1,2,3,4")) {
      PortcheckException e =
          assertThrows(PortcheckException.class, () -> BenchCommand.SetSpec.parse(bad), bad);
      assertTrue(e.getMessage().contains("is not NAME=MODEL,MODEL[,MODEL]"), e.getMessage());
    }
  }

  @Test
  void aFailedCompareIsDescribedByItsLastLine() {
    assertEquals(
        "portcheck: these 2 model(s) hold 8.3 GiB of weights",
        BenchCommand.lastLine(
            "portcheck: [1/4] loading\nportcheck: these 2 model(s) hold 8.3 GiB of weights\n\n"));
  }
}
