package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compare --labels} and {@code labels} on the fixtures' classifier twins and label files;
 * the expected verdicts, offsets and permutations come from the manifest's {@code labels} section.
 */
class LabelChecksTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static String labelFile(String role) {
    for (JsonNode f : Fixtures.manifest().path("labels").path("files")) {
      if (role.equals(f.path("role").asText())) {
        return Fixtures.path(f.path("path").asText()).toString();
      }
    }
    throw new AssertionError("no label file " + role);
  }

  private static String model(String rel) {
    return Fixtures.path("models/cnn/" + rel).toString();
  }

  /** The manifest's permutation: permuted output i is clean output perm[i]. */
  private static List<Integer> manifestPermutation() {
    List<Integer> p = new ArrayList<>();
    Fixtures.manifest()
        .path("labels")
        .path("permutation")
        .path("perm")
        .forEach(n -> p.add(n.asInt()));
    return p;
  }

  private JsonNode labels(int exit, String a, String b, String la, String lb) throws IOException {
    Path json = dir.resolve("r.json");
    CliRunner.Result r =
        CliRunner.run("compare", a, b, "--labels", la, "--labels", lb, "--json", json.toString());
    assertEquals(exit, r.exitCode(), r.out() + r.err());
    JsonNode labels = JSON.readTree(json.toFile()).path("labels");
    assertEquals(1, labels.path("pairs").size(), labels.toString());
    assertEquals(
        List.of("m0", "m1"),
        List.of(
            labels.path("pairs").get(0).path("models").get(0).asText(),
            labels.path("pairs").get(0).path("models").get(1).asText()));
    return labels;
  }

  @Test
  void sameModelWithTheSameNamesInTextAndJsonIsConsistentAndExits0() throws IOException {
    JsonNode l =
        labels(
            ExitCodes.MATCH,
            model("cnn.bn.onnx"),
            model("cnn.keras.savedmodel"),
            labelFile("classes"),
            labelFile("json"));
    assertEquals("CONSISTENT", l.path("verdict").asText());
    assertTrue(l.path("pairs").get(0).path("permutation").isNull());
  }

  @Test
  void sortedLabelFileIsAMismatchThatSaysItWasSorted() throws IOException {
    JsonNode l =
        labels(
            ExitCodes.DIFFERENCE,
            model("cnn.torchscript.pt"),
            model("cnn.bn.onnx"),
            labelFile("classes"),
            labelFile("sorted"));
    JsonNode pair = l.path("pairs").get(0);
    assertEquals("MISMATCH", l.path("verdict").asText());
    assertTrue(pair.path("hint").asText().contains("sorted alphabetically"), pair.toString());
    assertTrue(pair.path("examples").size() >= 1, pair.toString());
    assertTrue(pair.path("examples").get(0).asText().contains("m0 says '"), pair.toString());
  }

  @Test
  void backgroundLabelFileOnATenOutputModelIsAnOffsetOfOne() throws IOException {
    JsonNode l =
        labels(
            ExitCodes.DIFFERENCE,
            model("cnn.torchscript.pt"),
            model("cnn.bn.onnx"),
            labelFile("classes"),
            labelFile("background"));
    assertEquals("OFFSET", l.path("verdict").asText());
    assertEquals(1, l.path("pairs").get(0).path("offset").asInt());
  }

  @Test
  void elevenOutputModelScoredWithTenNamesIsAnOffsetOfOneNotAnError() throws IOException {
    JsonNode l =
        labels(
            ExitCodes.DIFFERENCE,
            model("cnn.bn.onnx"),
            model("cnn.background.bn.onnx"),
            labelFile("classes"),
            labelFile("classes"));
    assertEquals("OFFSET", l.path("verdict").asText());
    assertEquals(1, l.path("pairs").get(0).path("offset").asInt());
  }

  @Test
  void permutedOutputRowsAreRecoveredFromTheScores() throws IOException {
    JsonNode l =
        labels(
            ExitCodes.DIFFERENCE,
            model("cnn.bn.onnx"),
            model("cnn.permuted.bn.onnx"),
            labelFile("classes"),
            labelFile("classes"));
    assertEquals("PERMUTED", l.path("verdict").asText());
    List<Integer> perm = manifestPermutation();
    JsonNode got = l.path("pairs").get(0).path("permutation");
    // Reported as "index in m1 for each index of m0": the inverse of the manifest's mapping.
    for (int i = 0; i < perm.size(); i++) {
      assertEquals(i, got.get(perm.get(i)).asInt(), got.toString());
    }
  }

  @Test
  void permutedModelWithAMatchingPermutedLabelFileIsConsistent() throws IOException {
    JsonNode l =
        labels(
            ExitCodes.DIFFERENCE, // the logits themselves are reordered: a numeric divergence
            model("cnn.bn.onnx"),
            model("cnn.permuted.bn.onnx"),
            labelFile("classes"),
            labelFile("permuted"));
    assertEquals("CONSISTENT", l.path("verdict").asText());
    assertFalse(l.path("pairs").get(0).path("permutation").isNull());
  }

  @Test
  void labelCountNoShiftExplainsIsAClearErrorWithExit2() throws IOException {
    Path three = dir.resolve("three.txt");
    Files.writeString(three, "cat\ndog\nbird\n");
    CliRunner.Result r =
        CliRunner.run(
            "compare",
            model("cnn.bn.onnx"),
            model("cnn.keras.savedmodel"),
            "--labels",
            labelFile("classes"),
            "--labels",
            three.toString());
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    assertTrue(r.err().contains("three.txt"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  @Test
  void oneLabelFileForTwoModelsIsAUsageError() {
    CliRunner.Result r =
        CliRunner.run(
            "compare",
            model("cnn.bn.onnx"),
            model("cnn.keras.savedmodel"),
            "--labels",
            labelFile("classes"));
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
    assertTrue(r.err().contains("one label file per model"), r.err());
  }

  @Test
  void labelsCommandFlagsABackgroundFileAsAnErrorAndASortedOneAsAWarning() {
    CliRunner.Result bg =
        CliRunner.run("labels", model("cnn.bn.onnx"), "--labels", labelFile("background"));
    assertEquals(ExitCodes.DIFFERENCE, bg.exitCode(), bg.err());
    assertTrue(bg.out().contains("ERROR"), bg.out());
    assertTrue(bg.out().contains("'background'"), bg.out());
    CliRunner.Result sorted =
        CliRunner.run("labels", model("cnn.bn.onnx"), "--labels", labelFile("sorted"));
    assertEquals(ExitCodes.MATCH, sorted.exitCode(), sorted.err());
    assertTrue(sorted.out().contains("WARNING"), sorted.out());
    assertTrue(sorted.out().contains("alphabetical"), sorted.out());
    CliRunner.Result ok =
        CliRunner.run("labels", model("cnn.keras.savedmodel"), "--labels", labelFile("classes"));
    assertEquals(ExitCodes.MATCH, ok.exitCode(), ok.err());
    assertTrue(ok.out().contains("verdict: OK"), ok.out());
  }

  @Test
  void labelsCommandRunsATorchScriptModelToLearnItsOutputSize() {
    CliRunner.Result r =
        CliRunner.run(
            "labels",
            model("cnn.background.torchscript.pt"),
            "--labels",
            labelFile("background"),
            "--shape",
            "x=1,3,32,32");
    assertEquals(ExitCodes.MATCH, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("(11 outputs)"), r.out());
  }
}
