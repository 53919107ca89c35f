package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code compare} on third-party models from {@code fixtures/thirdparty}. */
class RealModelsCompareTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private JsonNode compare(int exit, String a, String b) throws IOException {
    Path json = dir.resolve("r.json");
    CliRunner.Result r =
        CliRunner.run(
            "compare",
            Fixtures.realModel(a).toString(),
            Fixtures.realModel(b).toString(),
            "--json",
            json.toString());
    assertEquals(exit, r.exitCode(), r.out() + r.err());
    return JSON.readTree(json.toFile());
  }

  /**
   * onnx-simplifier folded all 35 BatchNorms and every aligned layer agrees, but the published
   * simplified file also dropped the prior-box decoding from the {@code boxes} output (its boxes
   * are the raw regression heads; onnxruntime in Python gives the same 6.1 max abs difference on an
   * all-ones input). portcheck must report exactly that, not a layer divergence.
   */
  @Test
  void simplifiedFaceDetectorFoldsAll35BatchNormsAndLacksTheBoxDecoding() throws IOException {
    JsonNode r =
        compare(ExitCodes.DIFFERENCE, "version-RFB-320.onnx", "version-RFB-320_simplified.onnx");
    assertEquals(35, r.path("folds").size());
    int bns = 0;
    for (JsonNode l : r.path("layers")) {
      String status = l.path("status").asText();
      if ("BatchNormalization".equals(l.path("opType").asText())) {
        bns++;
        assertEquals("FOLDED", status, l.toString());
      }
      assertTrue(
          !status.equals("DIVERGED") && !status.equals("DOWNSTREAM"),
          "no aligned layer differs: " + l);
    }
    assertEquals(35, bns);
    for (JsonNode f : r.path("folds")) {
      assertEquals(1e-5, f.path("inferredEpsilon").asDouble(), 1e-6, f.toString());
    }
    JsonNode scores = r.path("outputs").get(0);
    assertEquals("scores", scores.path("name").asText());
    assertTrue(scores.path("withinTolerance").asBoolean(), scores.toString());
    JsonNode boxes = r.path("outputs").get(1);
    assertEquals("boxes", boxes.path("name").asText());
    assertTrue(boxes.path("maxAbsDiff").asDouble() > 1, boxes.toString());
    JsonNode first = r.path("firstDivergence");
    assertEquals("output", first.path("opType").asText());
    assertEquals("boxes", first.path("names").path("m0").asText());
    assertTrue(first.path("explanation").asText().contains("post-processing"), first.toString());
  }

  @Test
  void checkpointAlignsWithTheOnnxExportByParameterNamesWithIdenticalWeights() throws IOException {
    JsonNode r = compare(ExitCodes.MATCH, "version-RFB-320.pth", "version-RFB-320.onnx");
    assertEquals("MATCH", r.path("verdict").asText());
    assertEquals(0, r.path("weightMismatches").size());
    assertTrue(
        r.path("notes").get(0).asText().contains("cannot be run"), r.path("notes").toString());
    int aligned = 0;
    for (JsonNode l : r.path("layers")) {
      if (l.path("names").has("m0")) {
        assertEquals("MATCH", l.path("status").asText(), l.toString());
        assertEquals("PARAMETER_NAME", l.path("alignedBy").asText(), l.toString());
        aligned++;
      }
    }
    // 35 BatchNorms + 52 convolutions hold the checkpoint's parameters.
    assertEquals(87, aligned);
  }
}
