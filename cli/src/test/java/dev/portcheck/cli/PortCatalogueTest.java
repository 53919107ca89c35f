package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The catalogue of porting bugs (issue 13) on the port fixtures: each planted twin listed in the
 * manifest's {@code bugs} under a catalogue kind recognised here diverges first at its planted
 * layer, with the named kind and its fix in the sentence; the correct twins and the large-magnitude
 * clean exports MATCH without any weight or attribute finding.
 */
class PortCatalogueTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Manifest kind → the finding's JSON kind and a phrase of the fix its sentence must carry. */
  private static final Map<String, String[]> RECOGNISED =
      Map.of(
          "kernel_flip", new String[] {"KERNEL_FLIPPED", "without flipping"},
          "flatten_order", new String[] {"FLATTEN_ORDER", ".transpose(2, 3, 1, 0)"},
          "permuted_features", new String[] {"PERMUTED_INPUTS", "reference's input order"},
          "linear_transpose", new String[] {"LINEAR_NOT_TRANSPOSED", "transpose the Linear"},
          "input_channels_bgr", new String[] {"CHANNELS_REVERSED", "RGB order"},
          "epsilon", new String[] {"ATTRIBUTE", "set epsilon=1e-05"},
          "pool_type", new String[] {"ATTRIBUTE", "use MaxPooling2D in the port"},
          "missing_activation", new String[] {"ATTRIBUTE", "add the activation in the port"},
          "kernel_transpose_folded", new String[] {"HW_SLIP", "transpose(0, 1, 3, 2)"});

  /** The attribute side of the catalogue: manifest kind → the finding's kind and its fix. */
  private static final Map<String, String[]> RECOGNISED_ATTRIBUTES =
      Map.of(
          "gelu_approximate",
          new String[] {"GELU_APPROXIMATE", "use nn.GELU() / approximate=False"},
          "padding_same",
          new String[] {"PADDING", "ZeroPadding2D(1) + padding='valid'"},
          "softmax_axis",
          new String[] {"SOFTMAX_AXIS", "use Softmax(axis=-1) in the channels-last port"},
          "resize_align_corners",
          new String[] {"RESIZE_COORDINATES", "use UpSampling2D(interpolation='bilinear')"},
          "ceil_mode",
          new String[] {"CEIL_MODE", "use padding='same'"},
          "count_include_pad",
          new String[] {"COUNT_INCLUDE_PAD", "ZeroPadding2D + AveragePooling2D(padding='valid')"});

  private static String[] recognised(String kind) {
    return RECOGNISED.containsKey(kind) ? RECOGNISED.get(kind) : RECOGNISED_ATTRIBUTES.get(kind);
  }

  @TempDir Path dir;

  static Stream<Arguments> plantedPortBugs() {
    List<Arguments> out = new ArrayList<>();
    for (JsonNode bug : Fixtures.manifest().path("bugs")) {
      String kind = bug.path("kind").asText();
      if (bug.hasNonNull("reference") && recognised(kind) != null) {
        for (JsonNode f : bug.path("files")) {
          out.add(Arguments.of(bug.path("id").asText(), f.asText()));
        }
      }
    }
    return out.stream();
  }

  private static JsonNode bug(String id) {
    for (JsonNode b : Fixtures.manifest().path("bugs")) {
      if (id.equals(b.path("id").asText())) {
        return b;
      }
    }
    throw new AssertionError("no bug " + id);
  }

  private JsonNode run(int expectedExit, String... args) throws IOException {
    Path json = dir.resolve("report.json");
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--json", json.toString()));
    CliRunner.Result r = CliRunner.run(all.toArray(String[]::new));
    assertEquals(expectedExit, r.exitCode(), String.join(" ", all) + "\n" + r.out() + r.err());
    return JSON.readTree(json.toFile());
  }

  private JsonNode compare(int expectedExit, String ref, String other) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of("compare", Fixtures.path(ref).toString(), Fixtures.path(other).toString()));
    // TorchScript declares no input shapes: two of them need the manifest's.
    if (isTorchScript(ref) && isTorchScript(other)) {
      for (JsonNode in : Fixtures.file(ref).path("inputs")) {
        List<String> dims = new ArrayList<>();
        in.path("shape").forEach(d -> dims.add(d.asText()));
        args.addAll(List.of("--shape", in.path("name").asText() + "=" + String.join(",", dims)));
      }
    }
    return run(expectedExit, args.toArray(String[]::new));
  }

  private static boolean isTorchScript(String file) {
    return "torchscript".equals(Fixtures.file(file).path("format").asText());
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("plantedPortBugs")
  void plantedPortBugIsNamedAtThePlantedLayerWithItsFix(String id, String file) throws IOException {
    JsonNode bug = bug(id);
    JsonNode report = compare(ExitCodes.DIFFERENCE, bug.path("reference").asText(), file);
    JsonNode first = report.path("firstDivergence");
    String[] expected = recognised(bug.path("kind").asText());
    String framework = Fixtures.file(file).path("framework").asText();
    String layer =
        bug.path("layer").path("tensorflow".equals(framework) ? "keras" : framework).asText();
    if ("onnx".equals(framework)) {
      layer = bug.path("layer").path("onnx").asText();
    }
    if (bug.path("layer").path("keras").isNull() && "tensorflow".equals(framework)) {
      // A layer the port lacks: the finding is at the reference's layer, m1 has none there.
      assertEquals(
          bug.path("layer").path("pytorch").asText(),
          first.path("names").path("m0").asText(),
          first.toString());
      assertTrue(first.path("names").path("m1").isMissingNode(), first.toString());
    } else {
      assertEquals(layer, first.path("names").path("m1").asText(), first.toString());
    }
    if (bug.path("finding").has("attribute")) {
      assertEquals(
          bug.path("finding").path("attribute").asText(), first.path("attribute").asText());
    }
    if (bug.path("finding").has("torchDim")) {
      // A softmax axis is compared in the reference's (NCHW) axis order: torch's dim, and the
      // port's axis carried through its layout change (Keras axis=1 of NHWC is the height, dim 2).
      assertEquals(bug.path("finding").path("torchDim").asLong(), first.path("expected").asLong());
      long keras = bug.path("finding").path("actualKerasAxis").asLong();
      assertEquals(keras == -1 || keras == 3 ? 1 : keras + 1, first.path("actual").asLong());
    } else if (bug.path("finding").has("attribute")
        && bug.path("finding").path("expected").isTextual()) {
      assertEquals(bug.path("finding").path("expected").asText(), first.path("expected").asText());
      assertEquals(bug.path("finding").path("actual").asText(), first.path("actual").asText());
    }
    if (bug.path("finding").has("foldedBatchNorm")) {
      assertTrue(
          first.path("explanation").asText().contains("under a folded BatchNorm"),
          first.toString());
      assertTrue(report.path("layers").toString().contains("\"FOLDED\""), "the fold is recognised");
    }
    assertEquals(bug.path("finding").path("cause").asText(), first.path("cause").asText());
    assertEquals(expected[0], first.path("kind").asText(), first.toString());
    assertTrue(
        first.path("explanation").asText().contains(expected[1]),
        "the fix is in the sentence: " + first.path("explanation").asText());
    if (bug.path("finding").has("permutation")) {
      assertEquals(bug.path("finding").path("permutation"), first.path("permutation"));
    }
  }

  static Stream<Arguments> correctTwinsOfAttributeBugs() {
    List<Arguments> out = new ArrayList<>();
    for (JsonNode bug : Fixtures.manifest().path("bugs")) {
      if (bug.hasNonNull("reference")
          && RECOGNISED_ATTRIBUTES.containsKey(bug.path("kind").asText())) {
        for (JsonNode f : bug.path("cleanTwins")) {
          if (!f.asText().equals(bug.path("reference").asText())) {
            out.add(Arguments.of(bug.path("id").asText(), f.asText()));
          }
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("correctTwinsOfAttributeBugs")
  void correctTwinOfAnAttributeBugMatchesWithoutAnyWeightOrAttributeFinding(String id, String file)
      throws IOException {
    JsonNode report = compare(ExitCodes.MATCH, bug(id).path("reference").asText(), file);
    assertEquals("MATCH", report.path("verdict").asText());
    assertEquals(0, report.path("weightMismatches").size(), report.toString());
    assertEquals(0, report.path("attributeMismatches").size(), report.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"handport", "mlp", "pooling", "resize", "softmax"})
  void correctHandPortMatchesWithoutAnyWeightOrAttributeFinding(String family) throws IOException {
    JsonNode report =
        compare(
            ExitCodes.MATCH,
            "models/" + family + "/" + family + ".torchscript.pt",
            "models/" + family + "/" + family + ".keras.savedmodel");
    assertEquals("MATCH", report.path("verdict").asText());
    assertEquals(0, report.path("weightMismatches").size(), report.toString());
    assertEquals(0, report.path("attributeMismatches").size(), report.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"mynet/mynet.keras.savedmodel", "dwfold/dwfold.dynamo.onnx"})
  void correctTwinsOfTheStructuralAndFoldedBugsMatchWithoutFindings(String file)
      throws IOException {
    String family = file.substring(0, file.indexOf('/'));
    JsonNode report =
        compare(
            ExitCodes.MATCH,
            "models/" + family + "/" + family + ".torchscript.pt",
            "models/" + file);
    assertEquals("MATCH", report.path("verdict").asText());
    assertEquals(0, report.path("weightMismatches").size(), report.toString());
    assertEquals(0, report.path("attributeMismatches").size(), report.toString());
    for (JsonNode l : report.path("layers")) {
      assertTrue(!"PLACE".equals(l.path("alignedBy").asText()), "nothing paired by place: " + l);
    }
    if (family.equals("dwfold")) {
      // The dynamo exporter folded every BatchNorm: shown FOLDED, and each conv row's reference
      // statistics are of the BatchNorm output it was compared with.
      List<String> folded = new ArrayList<>();
      for (JsonNode l : report.path("layers")) {
        if ("FOLDED".equals(l.path("status").asText())) {
          folded.add(l.path("names").path("m0").asText());
        }
      }
      assertEquals(List.of("bn1", "bn2", "bn3"), folded);
      JsonNode conv2 = layer(report, "conv2");
      JsonNode bn2 = layer(report, "bn2");
      assertEquals(
          bn2.path("metrics").path("stats").path("m0").path("mean").asDouble(),
          conv2.path("metrics").path("stats").path("m0").path("mean").asDouble());
    }
  }

  private static JsonNode layer(JsonNode report, String m0Name) {
    for (JsonNode l : report.path("layers")) {
      if (m0Name.equals(l.path("names").path("m0").asText())) {
        return l;
      }
    }
    throw new AssertionError("no row " + m0Name);
  }

  /**
   * {@code check} compares everything {@code compare} does (issue 16): against a baseline of the
   * TorchScript model, each of mynet's planted Keras twins fails at its planted layer (the changed
   * GELU, the pooling of another kind, the ReLU the port lacks), the correct port passes, and a
   * summary comparison shows no cosine (null, never NaN).
   */
  @Test
  void checkAgainstATorchBaselineFailsEachMynetTwinAtItsPlantedLayer() throws IOException {
    Path baseline = dir.resolve("mynet.baseline.json");
    CliRunner.Result snap =
        CliRunner.run(
            "snapshot",
            Fixtures.path("models/mynet/mynet.torchscript.pt").toString(),
            "--shape",
            "x=1,3,28,28",
            "-o",
            baseline.toString());
    assertEquals(0, snap.exitCode(), snap.err());
    JsonNode clean = check(ExitCodes.MATCH, "mynet.keras.savedmodel", baseline);
    assertEquals("MATCH", clean.path("verdict").asText());
    for (JsonNode l : clean.path("layers")) {
      assertEquals("MATCH", l.path("status").asText(), l.toString());
      for (JsonNode p : l.path("metrics").path("vsReference")) {
        assertTrue(p.path("cosine").isNull(), "a summary has no cosine: " + p);
      }
    }

    JsonNode gelu = check(ExitCodes.DIFFERENCE, "mynet.gelu_tanh.keras.savedmodel", baseline);
    assertEquals("act", gelu.path("firstDivergence").path("names").path("m1").asText());
    assertEquals("DIVERGED", layer(gelu, "act").path("status").asText());

    JsonNode pool = check(ExitCodes.DIFFERENCE, "mynet.avgpool_bug.keras.savedmodel", baseline);
    JsonNode pf = pool.path("firstDivergence");
    assertEquals("pool1", pf.path("names").path("m1").asText(), pf.toString());
    assertEquals("pooling", pf.path("attribute").asText());
    assertEquals("average", pf.path("actual").asText());

    JsonNode relu = check(ExitCodes.DIFFERENCE, "mynet.norelu_bug.keras.savedmodel", baseline);
    JsonNode rf = relu.path("firstDivergence");
    assertEquals("relu2", rf.path("names").path("m0").asText(), rf.toString());
    assertEquals("layer", rf.path("attribute").asText());
    assertEquals("none", rf.path("actual").asText());
    assertTrue(
        rf.path("explanation").asText().contains("m1 has no layer where m0 has `relu2`"),
        rf.toString());
  }

  private JsonNode check(int exit, String file, Path baseline) throws IOException {
    return run(
        exit,
        "check",
        Fixtures.path("models/mynet/" + file).toString(),
        "--baseline",
        baseline.toString());
  }

  @Test
  void largeMagnitudeCleanExportsMatchWithTheirRoundingReportedAsDrift() throws IOException {
    JsonNode report =
        run(
            ExitCodes.MATCH,
            "compare",
            Fixtures.path("models/bigmag/bigmag.torchscript.pt").toString(),
            Fixtures.path("models/bigmag/bigmag.onnx").toString(),
            Fixtures.path("models/bigmag/bigmag.bn.onnx").toString());
    assertEquals("MATCH", report.path("verdict").asText());
    List<String> drift = new ArrayList<>();
    for (JsonNode l : report.path("layers")) {
      if ("DRIFT".equals(l.path("status").asText())) {
        drift.add(l.path("names").path("m0").asText());
        for (JsonNode p : l.path("metrics").path("vsReference")) {
          assertTrue(
              p.path("scaledDiff").asDouble() <= p.path("roundingBudget").asDouble(), l.toString());
        }
      }
    }
    // The folded export's features.3.conv.0.0 differs by 0.0117 where values reach 2.1e4.
    assertTrue(drift.contains("features.3.conv.0.0"), drift.toString());
  }

  @Test
  void largeMagnitudeCleanExportsPassTheirTorchBaselineAndTheEpsilonBugFailsAtItsLayer()
      throws IOException {
    Path baseline = dir.resolve("bigmag.baseline.json");
    CliRunner.Result snap =
        CliRunner.run(
            "snapshot",
            Fixtures.path("models/bigmag/bigmag.torchscript.pt").toString(),
            "--shape",
            "x=1,3,32,32",
            "-o",
            baseline.toString());
    assertEquals(0, snap.exitCode(), snap.err());
    for (String clean : List.of("bigmag.onnx", "bigmag.bn.onnx", "bigmag.keras.savedmodel")) {
      JsonNode r =
          run(
              ExitCodes.MATCH,
              "check",
              Fixtures.path("models/bigmag/" + clean).toString(),
              "--baseline",
              baseline.toString());
      assertEquals("MATCH", r.path("verdict").asText(), clean);
    }
    JsonNode bug =
        run(
            ExitCodes.DIFFERENCE,
            "check",
            Fixtures.path("models/bigmag/bigmag.eps_bug.keras.savedmodel").toString(),
            "--baseline",
            baseline.toString());
    assertEquals("ATTRIBUTE", bug.path("firstDivergence").path("cause").asText());
    assertEquals(
        bug("bigmag.eps_bug").path("layer").path("keras").asText(),
        bug.path("firstDivergence").path("names").path("m1").asText());
  }
}
