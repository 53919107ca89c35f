package dev.portcheck.comparator.labels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checker on the generated fixtures: the manifest's label pairings, with each model's reference
 * outputs (on the all-ones and the random probe) as its score rows. Every pairing is judged against
 * the ground truth: the model's clean twin scored with the training-order file.
 */
class LabelCheckerFixtureTest {
  private static final List<String> PROBES = List.of("ones", "random");
  private final LabelChecker checker = new LabelChecker();

  /** The two reference output rows of a manifest model, as {@code [probe][class]}. */
  private static float[][] refScores(String modelPath) {
    JsonNode ref = Fixtures.file(modelPath).path("reference");
    float[][] s = new float[PROBES.size()][];
    for (int p = 0; p < PROBES.size(); p++) {
      Tensor t = Fixtures.npy(ref.path(PROBES.get(p)).asText());
      assertEquals(2, t.rank(), modelPath);
      assertEquals(1, t.shape()[0], modelPath);
      s[p] = t.toFloatArray();
    }
    return s;
  }

  private static JsonNode labels() {
    return Fixtures.manifest().path("labels");
  }

  private static String labelFile(String role) {
    for (JsonNode f : labels().path("files")) {
      if (role.equals(f.path("role").asText())) {
        return f.path("path").asText();
      }
    }
    throw new AssertionError("no label file with role " + role);
  }

  /** The clean twin of a label variant, or the family's clean TorchScript for a clean model. */
  private static String twin(String modelPath) {
    JsonNode f = Fixtures.file(modelPath);
    if (f.hasNonNull("twinOf")) {
      return f.path("twinOf").asText();
    }
    String family = f.path("family").asText();
    return Fixtures.files(
            x ->
                family.equals(x.path("family").asText())
                    && "clean".equals(x.path("variant").asText())
                    && "torchscript".equals(x.path("format").asText()))
        .get(0)
        .path("path")
        .asText();
  }

  private static ScoredModel scored(String modelPath, String labelPath) {
    return new ScoredModel(
        modelPath.substring(modelPath.lastIndexOf('/') + 1),
        refScores(modelPath),
        LabelFiles.read(Fixtures.path(labelPath)));
  }

  private static ScoredModel truth(String modelPath) {
    return scored(twin(modelPath), labelFile("classes"));
  }

  private static List<Integer> ints(JsonNode array) {
    List<Integer> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asInt()));
    return out;
  }

  private static List<Integer> inverse(List<Integer> perm) {
    Integer[] inv = new Integer[perm.size()];
    for (int i = 0; i < perm.size(); i++) {
      inv[perm.get(i)] = i;
    }
    return List.of(inv);
  }

  @Test
  void everyManifestPairingGetsItsVerdictOffsetAndPermutation() {
    JsonNode pairings = labels().path("pairings");
    assertTrue(pairings.size() >= 8, "manifest has the label pairings");
    int checked = 0;
    for (JsonNode pairing : pairings) {
      String expected = pairing.path("verdict").asText();
      for (JsonNode m : pairing.path("models")) {
        String model = m.asText();
        ScoredModel ref = truth(model);
        ScoredModel tested = scored(model, pairing.path("labels").asText());
        LabelPair p = checker.check(List.of(ref, tested), PROBES, false).pairs().get(0);
        String what = model + " with " + pairing.path("labels").asText() + ": " + p;
        assertEquals(LabelVerdict.valueOf(expected), p.verdict(), what);
        if (pairing.has("offset")) {
          assertEquals(pairing.path("offset").asInt(), p.offset(), what);
        } else {
          assertNull(p.offset(), what);
        }
        // The manifest's permutation maps the permuted model's output i to the clean output
        // perm[i]; the checker reports, for each output of the first (clean) model, its index in
        // the second: the inverse.
        JsonNode perm =
            pairing.has("permutation") ? pairing.get("permutation") : pairing.get("viaPermutation");
        if (perm != null && !"SORTED".equals(pairing.path("reason").asText())) {
          assertEquals(inverse(ints(perm)), p.permutation(), what);
        } else {
          assertNull(p.permutation(), what);
        }
        if ("SORTED".equals(pairing.path("reason").asText())) {
          assertTrue(
              p.hint().contains("sorted alphabetically: someone probably listed and sorted class"),
              what);
        }
        if (!"CONSISTENT".equals(expected)) {
          assertTrue(!p.examples().isEmpty() && p.examples().size() <= 3, what);
        }
        checked++;
      }
    }
    assertTrue(checked >= 20, "pairs checked: " + checked);
  }

  @Test
  void permutedModelFirstReportsTheManifestPermutationFromTwoProbes() {
    List<Integer> perm = ints(labels().path("permutation").path("perm"));
    String permuted = "models/cnn/cnn.permuted.bn.onnx";
    LabelPair p = checker.compare(scored(permuted, labelFile("classes")), truth(permuted));
    assertEquals(LabelVerdict.PERMUTED, p.verdict());
    assertEquals(perm, p.permutation());
  }

  @Test
  void backgroundModelWithTrainingOrderFileShowsTheShiftedNamesOnTheProbes() {
    String bg = "models/cnn/cnn.background.torchscript.pt";
    LabelReport r =
        checker.check(List.of(truth(bg), scored(bg, labelFile("classes"))), PROBES, false);
    LabelPair p = r.pairs().get(0);
    assertEquals(LabelVerdict.OFFSET, p.verdict());
    assertEquals(1, p.offset());
    assertTrue(p.hint().contains("lacks 1 leading entry"), p.hint());
    // The clean twin's winner on the random probe is output 8 ('hen'); the background model puts
    // it at output 9, which the 10-line file calls 'ostrich'.
    assertEquals(
        "probe 'random': "
            + p.models().get(0)
            + " says 'hen', cnn.background.torchscript.pt says 'ostrich'",
        p.examples().get(p.examples().size() - 1));
    assertTrue(r.lint().get(1).hasErrors(), "lint flags 10 names for 11 outputs");
  }

  @Test
  void backgroundModelWithSortedFileIsAMismatchWhoseCountNoShiftExplains() {
    String bg = "models/cnn/cnn.background.bn.onnx";
    LabelPair p = checker.compare(truth(bg), scored(bg, labelFile("sorted")));
    assertEquals(LabelVerdict.MISMATCH, p.verdict());
    assertTrue(
        p.hint()
            .startsWith(
                "classes_sorted.txt has 10 names for the 11 outputs of cnn.background.bn.onnx, and"
                    + " its names line up with"),
        p.hint());
    assertTrue(p.hint().contains("neither as they are nor shifted"), p.hint());
    assertEquals(1, p.counts().size());
    assertFalse(p.counts().get(0).located());
  }

  @Test
  void trainingOrderFileOnTheBackgroundModelLocatesTheMissingNameAtTheStart() {
    // The evidence here is the model: output 0 of the 11-output model has no counterpart in its
    // clean 10-output twin, so the missing name is a leading background class.
    String bg = "models/cnn/cnn.background.torchscript.pt";
    LabelPair p =
        checker.compare(scored(twin(bg), labelFile("classes")), scored(bg, labelFile("classes")));
    assertEquals(LabelVerdict.OFFSET, p.verdict());
    LabelCount c = p.counts().get(0);
    assertEquals(List.of(-1, 0), List.of(c.start(), c.end()));
    assertTrue(
        c.description()
            .startsWith(
                "the first name is missing: cnn.background.torchscript.pt's output 0 has no"
                    + " counterpart in"),
        c.description());
    assertTrue(c.description().contains("background"), c.description());
  }

  @Test
  void allCnnLabelVariantsInOneReportAreJudgedAgainstTheFirst() {
    String clean = "models/cnn/cnn.keras.savedmodel";
    List<ScoredModel> models =
        List.of(
            scored("models/cnn/cnn.torchscript.pt", labelFile("classes")),
            scored(clean, labelFile("json")),
            scored(clean, labelFile("sorted")),
            scored("models/cnn/cnn.background.bn.onnx", labelFile("background")),
            scored("models/cnn/cnn.permuted.torchscript.pt", labelFile("permuted")),
            scored("models/cnn/cnn.permuted.bn.onnx", labelFile("classes")));
    LabelReport r = checker.check(models, PROBES, false);
    assertEquals(
        List.of(
            LabelVerdict.CONSISTENT,
            LabelVerdict.MISMATCH,
            LabelVerdict.CONSISTENT,
            LabelVerdict.CONSISTENT,
            LabelVerdict.PERMUTED),
        r.pairs().stream().map(LabelPair::verdict).toList());
    assertEquals(LabelVerdict.MISMATCH, r.verdict());
    // The lead puts toMap() into the compare JSON: it must serialise as is.
    JsonNode json = new ObjectMapper().valueToTree(r.toMap());
    assertEquals("MISMATCH", json.path("verdict").asText());
    assertEquals("PERMUTED", json.path("pairs").get(4).path("verdict").asText());
    assertEquals(10, json.path("pairs").get(4).path("permutation").size());
    assertEquals("cnn.permuted.bn.onnx", json.path("lint").get(5).path("model").asText());
  }
}
