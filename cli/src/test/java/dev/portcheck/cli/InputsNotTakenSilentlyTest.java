package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.importers.api.Npy;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs that used to be taken silently are refused (exit 2) saying what would fit: a sample in
 * another layout than the reference's (it was reshaped, so a real image became noise) and a
 * tolerance for a layer that no model has (it was ignored).
 */
class InputsNotTakenSilentlyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TORCH = model("cnn/cnn.torchscript.pt");
  private static final String ONNX = model("cnn/cnn.bn.onnx");
  private static final String FOLDED = model("cnn/cnn.folded.onnx");
  private static final String NHWC = model("cnn/ref/input_random_nhwc.npy");
  private static final String NCHW = model("cnn/ref/input_random_nchw.npy");

  @TempDir Path dir;

  private static String model(String rel) {
    return Fixtures.path("models/" + rel).toString();
  }

  /** The first line on stderr, without the "portcheck: " prefix. */
  private static String message(CliRunner.Result r) {
    String first = r.err().lines().findFirst().orElse("");
    assertTrue(first.startsWith("portcheck: "), r.err());
    return first.substring("portcheck: ".length());
  }

  private Path npy(String name, Tensor t) throws IOException {
    Path f = dir.resolve(name);
    Npy.write(f, t);
    return f;
  }

  @Test
  void nhwcSampleForAnNchwReferenceIsRefusedWithTheTranspositionItNeeds() {
    CliRunner.Result r =
        CliRunner.run("compare", TORCH, ONNX, "--shape", "x=1,3,32,32", "--probe", NHWC);
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    assertEquals(
        "probe "
            + NHWC
            + " has shape [1, 32, 32, 3] (NHWC?) but input 'x' of m0 (NCHW) takes [1, 3, 32, 32]:"
            + " save it transposed (np.transpose(a, (0, 3, 1, 2))) or pass it in the model's"
            + " layout.",
        message(r));
    assertEquals("", r.out());
  }

  @Test
  void nhwcSampleGivenWithInputIsRefusedAsBadInputInTheJsonErrorObject() throws IOException {
    CliRunner.Result r =
        CliRunner.run("compare", ONNX, FOLDED, "--input", "input=" + NHWC, "--json", "-");
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    JsonNode error = JSON.readTree(r.out()).path("error");
    assertEquals("BAD_INPUT", error.path("reason").asText(), r.out());
    assertEquals(message(r), error.path("message").asText());
    assertTrue(
        message(r).contains("(NHWC?) but input 'input' of m0 (NCHW) takes [1, 3, 32, 32]"),
        r.err());
  }

  @Test
  void sampleInTheReferencesLayoutIsFedWithOrWithoutItsBatchAxis() throws IOException {
    CliRunner.Result r =
        CliRunner.run(
            "compare", TORCH, ONNX, "--shape", "x=1,3,32,32", "--probe", NCHW, "--json", "-");
    assertEquals(ExitCodes.MATCH, r.exitCode(), r.err());
    JsonNode report = JSON.readTree(r.out());
    assertEquals(3, report.path("probes").size(), r.out());
    assertEquals("npy:" + NCHW, report.path("probes").get(2).path("label").asText());

    // numpy's a[0]: one sample without its batch axis is the same input.
    Path unbatched = npy("sample.npy", Npy.read(Path.of(NCHW)).reshape(new long[] {3, 32, 32}));
    CliRunner.Result same =
        CliRunner.run(
            "compare",
            TORCH,
            ONNX,
            "--shape",
            "x=1,3,32,32",
            "--probe",
            unbatched.toString(),
            "--json",
            "-");
    assertEquals(ExitCodes.MATCH, same.exitCode(), same.err());
    JsonNode sameReport = JSON.readTree(same.out());
    assertEquals(
        report.path("probes").get(2).path("inputs").get(0).path("shape"),
        sameReport.path("probes").get(2).path("inputs").get(0).path("shape"));
    assertEquals(report.path("layers"), sameReport.path("layers"));
  }

  @Test
  void sampleThatFitsOnlyByReshapingIsRefused() throws IOException {
    Path flat = npy("flat.npy", Npy.read(Path.of(NCHW)).reshape(new long[] {1, 96, 32}));
    CliRunner.Result r = CliRunner.run("compare", ONNX, FOLDED, "--probe", flat.toString());
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    assertEquals(
        "probe "
            + flat
            + " has shape [1, 96, 32] but input 'input' of m0 (NCHW) takes [1, 3, 32, 32]: it"
            + " holds as many values but in another arrangement, and reshaping it would feed"
            + " noise; save the sample with the input's shape.",
        message(r));
  }

  @Test
  void channelsLastSampleWithoutItsBatchAxisGetsTheTranspositionAndTheReshape() throws IOException {
    Path hwc = npy("hwc.npy", Npy.read(Path.of(NHWC)).reshape(new long[] {32, 32, 3}));
    CliRunner.Result r = CliRunner.run("compare", ONNX, FOLDED, "--probe", hwc.toString());
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    assertTrue(
        message(r)
            .endsWith(
                "has shape [32, 32, 3] but input 'input' of m0 (NCHW) takes [1, 3, 32, 32]: save"
                    + " it transposed (np.transpose(a, (2, 0, 1)).reshape(1, 3, 32, 32)) or pass"
                    + " it in the model's layout."),
        r.err());
  }

  @Test
  void snapshotOfAChannelsLastModelRefusesAnNchwSampleAndWritesNoBaseline() {
    Path out = dir.resolve("keras.baseline.json");
    CliRunner.Result r =
        CliRunner.run(
            "snapshot", model("cnn/cnn.keras.savedmodel"), "--probe", NCHW, "-o", out.toString());
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    assertEquals(
        "probe "
            + NCHW
            + " has shape [1, 3, 32, 32] (NCHW?) but input 'input' of m0 (NHWC) takes [1, 32, 32, 3]:"
            + " save it transposed (np.transpose(a, (0, 2, 3, 1))) or pass it in the model's"
            + " layout.",
        message(r));
    assertFalse(Files.exists(out));
  }

  @Test
  void baselineWithASampleInTheRightLayoutIsCheckedOnIt() throws IOException {
    Path baseline = dir.resolve("cnn.baseline.json");
    CliRunner.Result snap =
        CliRunner.run("snapshot", ONNX, "--probe", NCHW, "-o", baseline.toString());
    assertEquals(ExitCodes.MATCH, snap.exitCode(), snap.err());
    CliRunner.Result r =
        CliRunner.run("check", FOLDED, "--baseline", baseline.toString(), "--json", "-");
    assertEquals(ExitCodes.MATCH, r.exitCode(), r.err());
    JsonNode probes = JSON.readTree(r.out()).path("probes");
    assertEquals(3, probes.size(), probes.toString());
  }

  @Test
  void toleranceForALayerNoModelHasNamesTheClosestLayers() {
    CliRunner.Result r =
        CliRunner.run(
            "compare", TORCH, ONNX, "--shape", "x=1,3,32,32", "--layer-tolerance", "bn_2=1e-3");
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    assertEquals(
        "--layer-tolerance: no layer 'bn_2' in m0 or m1; did you mean 'bn2', 'bn1'?", message(r));
  }

  @Test
  void toleranceForALayerFarFromAnyNameSaysWhereTheNamesAreListed() {
    CliRunner.Result r =
        CliRunner.run("compare", ONNX, FOLDED, "--layer-tolerance", "nosuchlayer=1e-3");
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    assertEquals(
        "--layer-tolerance: no layer 'nosuchlayer' in m0 or m1; 'portcheck inspect MODEL' lists"
            + " a model's layer names.",
        message(r));
  }

  @Test
  void toleranceForALayerOfEitherModelIsTaken() {
    for (String layer : new String[] {"bn2", "/bn2/BatchNormalization"}) {
      CliRunner.Result r =
          CliRunner.run(
              "compare",
              TORCH,
              ONNX,
              "--shape",
              "x=1,3,32,32",
              "--layer-tolerance",
              layer + "=1e-3");
      assertEquals(ExitCodes.MATCH, r.exitCode(), layer + ": " + r.err());
    }
  }

  @Test
  void checkRefusesAToleranceForALayerNeitherTheBaselineNorTheModelHas() throws IOException {
    Path baseline = dir.resolve("cnn.baseline.json");
    CliRunner.Result snap = CliRunner.run("snapshot", ONNX, "-o", baseline.toString());
    assertEquals(ExitCodes.MATCH, snap.exitCode(), snap.err());
    CliRunner.Result r =
        CliRunner.run(
            "check", FOLDED, "--baseline", baseline.toString(), "--layer-tolerance", "bn2=1e-3");
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    assertEquals(
        "--layer-tolerance: no layer 'bn2' in the baseline or the model; did you mean"
            + " '/bn2/BatchNormalization'?",
        message(r));
  }
}
