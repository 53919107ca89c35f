package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Npy;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code compare} on the Hugging Face transformer fixtures (manifest {@code transformers}) and on
 * Silero VAD, whose exports take different inputs: token-id probes, inputs matched by name, inputs
 * given per model, transformer layers aligned across TorchScript, ONNX and TensorFlow.
 */
class TransformerCompareTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private JsonNode compare(int exit, List<String> options, String... models) throws IOException {
    Path json = dir.resolve("r.json");
    List<String> args = new ArrayList<>(List.of("compare"));
    for (String m : models) {
      args.add(m.startsWith("/") ? m : Fixtures.path(m).toString());
    }
    args.addAll(options);
    args.addAll(List.of("--json", json.toString()));
    CliRunner.Result r = CliRunner.run(args.toArray(String[]::new));
    assertEquals(exit, r.exitCode(), r.out() + r.err());
    return JSON.readTree(json.toFile());
  }

  private static Stream<JsonNode> layers(JsonNode report) {
    return StreamSupport.stream(report.path("layers").spliterator(), false);
  }

  private static JsonNode bug(String id) {
    for (JsonNode b : Fixtures.manifest().path("transformers").path("bugs")) {
      if (b.path("id").asText().equals(id)) {
        return b;
      }
    }
    throw new AssertionError("no bug " + id + " in manifest.transformers");
  }

  private static String names(JsonNode report, String m0) {
    return layers(report)
        .filter(l -> l.path("names").path("m0").asText().equals(m0))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no row " + m0))
        .path("names")
        .path("m1")
        .asText();
  }

  /** Every encoder Linear and LayerNorm of the reference, compared with metrics in every model. */
  private static void assertEncoderComparedEverywhere(JsonNode report, int models) {
    List<JsonNode> encoder =
        layers(report)
            .filter(l -> l.path("names").path("m0").asText().startsWith("bert.encoder."))
            .filter(
                l ->
                    Set.of("torch.nn.Linear", "torch.nn.LayerNorm")
                        .contains(l.path("opType").asText()))
            .toList();
    // 2 layers x (query, key, value, attention dense, attention LayerNorm, intermediate, output
    // dense, output LayerNorm)
    assertEquals(16, encoder.size(), encoder.toString());
    for (JsonNode l : encoder) {
      assertEquals("MATCH", l.path("status").asText(), l.toString());
      for (int m = 1; m < models; m++) {
        JsonNode vs = l.path("metrics").path("vsReference").path("m" + m);
        assertTrue(l.path("names").has("m" + m), "not aligned in m" + m + ": " + l);
        assertTrue(vs.path("withinTolerance").asBoolean(), l.toString());
        assertTrue(vs.path("maxAbsDiff").isNumber(), l.toString());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void bertMatchesThreeWaysWithEveryEncoderLayerComparedWithOrWithoutGivenIds(boolean givenIds)
      throws IOException {
    List<String> options =
        givenIds
            ? List.of(
                "--input", "input_ids=" + Fixtures.path("models/bert/ref/input_ids_random.npy"))
            : List.of();
    JsonNode report =
        compare(
            ExitCodes.MATCH,
            options,
            "models/bert/bert.torchscript.pt",
            "models/bert/bert.onnx",
            "models/bert/bert.tf.savedmodel");
    assertEquals("MATCH", report.path("verdict").asText());
    assertEncoderComparedEverywhere(report, 3);
    // The TF signature lists attention_mask first: inputs are paired by name, not position.
    for (JsonNode probe : report.path("probes")) {
      for (JsonNode in : probe.path("inputs")) {
        JsonNode names = in.path("names");
        assertEquals(names.path("m0").asText(), names.path("m2").asText(), in.toString());
        assertEquals(names.path("m0").asText(), names.path("m1").asText(), in.toString());
        assertEquals("INT64", in.path("dtype").asText(), in.toString());
      }
    }
    // The embeddings: each lookup pairs with its Gather, not with their sum.
    for (String table : List.of("word", "position", "token_type")) {
      JsonNode row =
          layers(report)
              .filter(
                  l ->
                      l.path("names")
                          .path("m0")
                          .asText()
                          .equals("bert.embeddings." + table + "_embeddings"))
              .findFirst()
              .orElseThrow();
      assertEquals(
          "/bert/embeddings/" + table + "_embeddings/Gather",
          row.path("names").path("m1").asText(),
          row.toString());
      assertEquals("MATCH", row.path("status").asText(), row.toString());
    }
  }

  @Test
  void bertWithoutInputsGetsIdsBelowTheVocabularyAndAMaskOfOnes() throws IOException {
    JsonNode report =
        compare(
            ExitCodes.MATCH, List.of(), "models/bert/bert.torchscript.pt", "models/bert/bert.onnx");
    JsonNode random = report.path("probes").get(1).path("inputs");
    assertEquals("random:0 (ids below 128)", random.get(0).path("spec").asText());
    assertEquals("ones (attention mask)", random.get(1).path("spec").asText());
    // What is not compared says why: attention internals and the embeddings' sum run inside
    // modules (TorchScript records module outputs only); a ModuleList has no forward to tap.
    assertTrue(
        noteOf(report, "m1", "/bert/encoder/layer.0/attention/self/Softmax")
            .matches(
                "no counterpart in m0: TorchScript records module outputs only; this op runs"
                    + " inside m0's 'bert.encoder.layer.0.attention(.self)?'"),
        noteOf(report, "m1", "/bert/encoder/layer.0/attention/self/Softmax"));
    assertTrue(
        noteOf(report, "m1", "/bert/embeddings/Add_1").endsWith("inside m0's 'bert.embeddings'"),
        noteOf(report, "m1", "/bert/embeddings/Add_1"));
    JsonNode list =
        layers(report)
            .filter(l -> l.path("names").path("m0").asText().equals("bert.encoder.layer"))
            .findFirst()
            .orElseThrow();
    assertTrue(list.path("note").asText().contains("ModuleList"), list.toString());
  }

  private static String noteOf(JsonNode report, String model, String name) {
    JsonNode row =
        layers(report)
            .filter(l -> l.path("names").path(model).asText().equals(name))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no row " + name));
    assertEquals("UNALIGNED", row.path("status").asText(), row.toString());
    return row.path("note").asText();
  }

  @Test
  void bertPortWithKerasEpsilonDivergesAtTheEmbeddingsLayerNormListingEveryLayerNorm()
      throws IOException {
    JsonNode bug = bug("bert.eps_bug");
    JsonNode report =
        compare(
            ExitCodes.DIFFERENCE,
            List.of(),
            "models/bert/bert.torchscript.pt",
            "models/bert/bert.onnx",
            "models/bert/bert.eps_bug.tf.savedmodel");
    JsonNode first = report.path("firstDivergence");
    assertEquals(
        bug.path("layer").path("pytorch").asText(), first.path("names").path("m0").asText());
    assertEquals(bug.path("layer").path("keras").asText(), first.path("names").path("m2").asText());
    assertEquals("ATTRIBUTE", first.path("cause").asText());
    assertTrue(first.path("explanation").asText().contains("1e-12"), first.toString());
    assertTrue(
        first.path("explanation").asText().contains("Keras' LayerNormalization defaults to 1e-3"),
        first.toString());
    Set<String> listed = new HashSet<>();
    for (JsonNode a : report.path("attributeMismatches")) {
      if (a.path("attribute").asText().equals("epsilon")) {
        assertEquals(1e-12, a.path("values").path("m0").asDouble(), 1e-18, a.toString());
        assertEquals(1e-3, a.path("values").path("m2").asDouble(), 1e-9, a.toString());
        listed.add(a.path("names").path("m0").asText());
      }
    }
    Set<String> every = new HashSet<>();
    bug.path("finding").path("everyLayerNorm").forEach(n -> every.add(n.asText()));
    assertEquals(every, listed);
  }

  @Test
  void kerasEpsilonTwinAgainstItsKerasOriginNamesTheLayerNormAndEverythingFedByItDownstream()
      throws IOException {
    JsonNode report =
        compare(
            ExitCodes.DIFFERENCE,
            List.of(),
            "models/bert/bert.tf.savedmodel",
            "models/bert/bert.eps_bug.tf.savedmodel");
    JsonNode first = report.path("firstDivergence");
    assertEquals("bert/embeddings/LayerNorm", first.path("names").path("m0").asText());
    assertEquals("ATTRIBUTE", first.path("cause").asText());
    // The Keras layers with children (bert, bert/encoder, layer_._0 ...) name their last child's
    // output as their own; every row after the LayerNorm is fed by it, containers included.
    List<String> diverged =
        layers(report)
            .filter(l -> l.path("status").asText().equals("DIVERGED"))
            .map(l -> l.path("names").path("m0").asText())
            .toList();
    assertEquals(List.of("bert/embeddings/LayerNorm"), diverged);
    for (String fed :
        List.of(
            "bert/embeddings",
            "bert/encoder/layer_._0",
            "bert/encoder/layer_._0/attention/self/query",
            "bert/encoder/layer_._1/output/dense",
            "bert/pooler/strided_slice",
            "classifier")) {
      JsonNode row =
          layers(report)
              .filter(l -> l.path("names").path("m0").asText().equals(fed))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no row " + fed));
      assertEquals("DOWNSTREAM", row.path("status").asText(), row.toString());
    }
  }

  static Stream<Arguments> cleanGpt2() {
    return Stream.of(
        Arguments.of(
            List.of(
                "models/gpt2/gpt2.torchscript.pt",
                "models/gpt2/gpt2.onnx",
                "models/gpt2/gpt2.tf.savedmodel")),
        Arguments.of(List.of("models/gpt2/gpt2.torchscript.pt", "models/gpt2/gpt2.dynamo.onnx")));
  }

  @ParameterizedTest
  @MethodSource("cleanGpt2")
  void gpt2MatchesAcrossExportersWithEveryProjectionCompared(List<String> models)
      throws IOException {
    JsonNode report = compare(ExitCodes.MATCH, List.of(), models.toArray(String[]::new));
    List<JsonNode> projections =
        layers(report)
            .filter(l -> l.path("opType").asText().endsWith("Conv1D"))
            .filter(l -> l.path("names").has("m0"))
            .toList();
    // 2 blocks x (c_attn, attn c_proj, c_fc, mlp c_proj)
    assertEquals(8, projections.size(), projections.toString());
    for (JsonNode l : projections) {
      assertEquals(models.size(), l.path("names").size(), l.toString());
      assertEquals("MATCH", l.path("status").asText(), l.toString());
    }
    assertTrue(
        report.path("weightMismatches").isEmpty(), report.path("weightMismatches").toString());
    // GPT-2 ties its output projection to the input embedding table, in every export.
    JsonNode head =
        layers(report)
            .filter(l -> l.path("names").path("m0").asText().equals("lm_head"))
            .findFirst()
            .orElseThrow();
    for (int m = 0; m < models.size(); m++) {
      assertTrue(
          head.path("note").asText().contains("m" + m + " ties this weight to '"), head.toString());
    }
    assertTrue(head.path("note").asText().contains("'transformer.wte'"), head.toString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"models/gpt2/gpt2.perm_bug.onnx", "models/gpt2/gpt2.perm_bug.tf.savedmodel"})
  void gpt2WithPermutedMlpFeaturesDivergesAtThatProjectionsWeights(String port) throws IOException {
    JsonNode bug = bug("gpt2.perm_bug");
    JsonNode report =
        compare(ExitCodes.DIFFERENCE, List.of(), "models/gpt2/gpt2.torchscript.pt", port);
    JsonNode first = report.path("firstDivergence");
    assertEquals(
        bug.path("layer").path("pytorch").asText(), first.path("names").path("m0").asText());
    String expected =
        port.endsWith(".onnx")
            ? bug.path("layer").path("onnx").asText()
            : bug.path("layer").path("keras").asText();
    assertEquals(expected, first.path("names").path("m1").asText());
    assertEquals("WEIGHTS", first.path("cause").asText());
  }

  @Test
  void sileroExportsWithDifferentInputsMatchWhenEachIsFedItsOwn()
      throws IOException, URISyntaxException {
    Path jit = Fixtures.realModel("silero_vad.jit");
    Path onnx = Fixtures.realModel("silero_vad.onnx");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        jit.toFile().isFile() && onnx.toFile().isFile(), "real models not present");
    Path chunks = Path.of(getClass().getResource("/silero/chunk512.npy").toURI()).getParent();
    JsonNode report =
        compare(
            ExitCodes.MATCH,
            List.of(
                "--input",
                "m0:x=" + chunks.resolve("chunk512.npy"),
                "--input",
                "m1:input=" + chunks.resolve("chunk576.npy"),
                "--input",
                "m1:state=zeros",
                "--value",
                "sr=16000"),
            jit.toString(),
            onnx.toString());
    assertEquals("MATCH", report.path("verdict").asText());
    List<JsonNode> inIf =
        layers(report)
            .filter(l -> l.path("names").path("m1").asText().startsWith("If_0_then_branch"))
            .filter(l -> l.path("status").asText().equals("MATCH"))
            .filter(
                l -> l.path("metrics").path("vsReference").path("m1").path("maxAbsDiff").isNumber())
            .toList();
    Set<String> compared = new HashSet<>();
    inIf.forEach(l -> compared.add(l.path("names").path("m0").asText()));
    for (String module :
        List.of(
            "_model.encoder.0.reparam_conv",
            "_model.encoder.1.reparam_conv",
            "_model.encoder.2.reparam_conv",
            "_model.encoder.3.reparam_conv",
            "_model.decoder.rnn",
            "_model.decoder.decoder.2")) {
      assertTrue(compared.contains(module), module + " not compared inside If_0: " + compared);
    }
    for (JsonNode l : layers(report).toList()) {
      String m0 = l.path("names").path("m0").asText();
      String m1 = l.path("names").path("m1").asText("");
      if (m1.isEmpty()) {
        continue;
      }
      if (m0.startsWith("_model.")) {
        // The 16 kHz submodel ran: its rows lie in the branch taken and are compared.
        assertTrue(m1.startsWith("If_0_then_branch"), l.toString());
        assertEquals("MATCH", l.path("status").asText(), l.toString());
      }
      if (m0.startsWith("_model_8k")) {
        assertFalse(m1.startsWith("If_0_then_branch"), l.toString());
      }
    }
    // Each ReLU of the encoder is its own block's: fed by the conv its block's conv pairs with.
    for (int block = 0; block < 4; block++) {
      String relu = names(report, "_model.encoder." + block + ".activation");
      String conv = names(report, "_model.encoder." + block + ".reparam_conv");
      assertEquals("If_0_then_branch__Inline_0__/encoder/" + block + "/activation/Relu", relu);
      assertEquals("If_0_then_branch__Inline_0__/encoder/" + block + "/reparam_conv/Conv", conv);
    }
    // Each model got only its own inputs; sr matched by name.
    JsonNode inputs = report.path("probes").get(0).path("inputs");
    assertFalse(inputs.toString().contains("\"m1\":\"x\""), inputs.toString());
  }

  @Test
  void torchScriptRunFailureNamesLibtorchsOwnErrorLine() throws IOException {
    // Ids beyond BERT's vocabulary: the Embedding's index_select fails inside libtorch, whose
    // generic "operation failed in the TorchScript interpreter" says nothing without the cause.
    Path ids = dir.resolve("ids_beyond_vocab.npy");
    long[] data = new long[8];
    java.util.Arrays.fill(data, 1_000_000L);
    Npy.write(ids, Tensor.ofLongs(DType.INT64, new long[] {1, 8}, data));
    CliRunner.Result r =
        CliRunner.run(
            "compare",
            Fixtures.path("models/bert/bert.torchscript.pt").toString(),
            Fixtures.path("models/bert/bert.onnx").toString(),
            "--input",
            "input_ids=" + ids);
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out() + r.err());
    List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
    String last = lines.get(lines.size() - 1);
    assertTrue(last.startsWith("portcheck: "), r.err());
    assertTrue(last.contains("bert.torchscript.pt"), last);
    assertTrue(last.contains("Error: index out of range in self"), last);
    assertFalse(r.err().contains("\tat "), "stack trace in: " + r.err());
    assertFalse(r.err().contains("Exception in thread"), r.err());
  }
}
