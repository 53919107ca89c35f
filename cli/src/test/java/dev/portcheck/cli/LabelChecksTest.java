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
    JsonNode count = l.path("pairs").get(0).path("counts").get(0);
    assertEquals(List.of(11, 10, 1, 0), ints(count, "names", "outputs", "start", "end"));
    assertTrue(
        count
            .path("description")
            .asText()
            .startsWith("an extra name at the start ('background'): a background class"),
        count.toString());
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

  /**
   * The training-order names with {@code edit} applied, written to {@code name} in the temp dir.
   */
  private String classesEdited(String name, java.util.function.UnaryOperator<List<String>> edit)
      throws IOException {
    List<String> names = Files.readAllLines(Path.of(labelFile("classes")));
    Path f = dir.resolve(name);
    Files.write(f, edit.apply(new ArrayList<>(names)));
    return f.toString();
  }

  @Test
  void lastNameMissingIsACountMismatchWithExit1NamingTheMissingName() throws IOException {
    String nine = classesEdited("labels9.txt", n -> n.subList(0, 9));
    JsonNode l =
        labels(
            ExitCodes.DIFFERENCE,
            model("cnn.torchscript.pt"),
            model("cnn.bn.onnx"),
            labelFile("classes"),
            nine);
    assertEquals("COUNT_MISMATCH", l.path("verdict").asText());
    JsonNode count = l.path("pairs").get(0).path("counts").get(0);
    assertEquals("m1", count.path("model").asText());
    assertEquals(List.of(9, 10, 0, -1), ints(count, "names", "outputs", "start", "end"));
    assertEquals(
        "the last name is missing (m0 calls output 9 'ostrich')",
        count.path("description").asText());
    // The file's lint agrees with the pair: no background guess.
    String lint = l.path("lint").get(1).path("findings").get(0).path("message").asText();
    assertTrue(lint.endsWith("the last name is missing (m0 calls output 9 'ostrich')"), lint);
  }

  @Test
  void extraNameAtTheEndIsACountMismatchWithExit1NotConsistent() throws IOException {
    String eleven =
        classesEdited(
            "labels11.txt",
            n -> {
              n.add("platypus");
              return n;
            });
    CliRunner.Result r =
        CliRunner.run(
            "compare",
            model("cnn.torchscript.pt"),
            model("cnn.bn.onnx"),
            "--labels",
            labelFile("classes"),
            "--labels",
            eleven);
    assertEquals(ExitCodes.DIFFERENCE, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("labels: COUNT_MISMATCH"), r.out());
    assertFalse(r.out().contains("CONSISTENT"), r.out());
    assertTrue(
        r.out()
            .contains(
                "labels11.txt has 11 names for the 10 outputs of m1: an extra name at the end"
                    + " ('platypus')"),
        r.out());
    assertTrue(r.out().contains("labels11.txt line 11 'platypus' names no output of m1"), r.out());
  }

  @Test
  void firstNameMissingIsAnOffsetWithExit1NamingTheNameNotABackgroundClass() throws IOException {
    String nine = classesEdited("labels9.txt", n -> n.subList(1, 10));
    JsonNode l =
        labels(
            ExitCodes.DIFFERENCE,
            model("cnn.torchscript.pt"),
            model("cnn.bn.onnx"),
            labelFile("classes"),
            nine);
    assertEquals("OFFSET", l.path("verdict").asText());
    JsonNode pair = l.path("pairs").get(0);
    assertEquals(List.of(-1, 0), ints(pair.path("counts").get(0), "start", "end"));
    assertTrue(pair.path("hint").asText().contains("Add 'tench' at the start"), pair.toString());
    assertFalse(pair.path("hint").asText().contains("background"), pair.toString());
  }

  @Test
  void labelFilesOfAnotherDatasetWithAnotherCountAreAMismatchWithExit1() throws IOException {
    Path three = dir.resolve("three.txt");
    Files.writeString(three, "cat\ndog\nbird\n");
    JsonNode l =
        labels(
            ExitCodes.DIFFERENCE,
            model("cnn.bn.onnx"),
            model("cnn.keras.savedmodel"),
            labelFile("classes"),
            three.toString());
    assertEquals("MISMATCH", l.path("verdict").asText());
    String hint = l.path("pairs").get(0).path("hint").asText();
    assertTrue(hint.startsWith("three.txt has 3 names for the 10 outputs of m1, and"), hint);
    // The example shows two names that differ, never 'cat' vs 'cat'.
    assertTrue(hint.contains("(e.g. output 0: 'cat' in three.txt, 'tench' in classes.txt)"), hint);
  }

  @Test
  void unreadableLabelFileIsTheOnlyLabelProblemWithExit2() {
    Path missing = dir.resolve("missing.txt");
    CliRunner.Result r =
        CliRunner.run(
            "compare",
            model("cnn.bn.onnx"),
            model("cnn.keras.savedmodel"),
            "--labels",
            labelFile("classes"),
            "--labels",
            missing.toString());
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    assertTrue(r.err().contains(missing.toString()), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  private static List<Integer> ints(JsonNode n, String... fields) {
    List<Integer> out = new ArrayList<>();
    for (String f : fields) {
      out.add(n.path(f).asInt());
    }
    return out;
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
  void labelsCommandOnAFileOneNameShortSaysTheLastNameIsMissingNotBackground() throws IOException {
    String nine = classesEdited("labels9.txt", n -> n.subList(0, 9));
    CliRunner.Result r = CliRunner.run("labels", model("cnn.bn.onnx"), "--labels", nine);
    assertEquals(ExitCodes.DIFFERENCE, r.exitCode(), r.err());
    assertTrue(
        r.out().contains("so the last name is missing (output 9 has none); add it at the end"),
        r.out());
    assertFalse(r.out().contains("likely missing"), r.out());
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
