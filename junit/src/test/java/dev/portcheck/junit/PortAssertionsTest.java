package dev.portcheck.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.baseline.BaselineFormat;
import dev.portcheck.comparator.baseline.Snapshotter;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/** {@link PortAssertions} on the cnn fixtures; expectations come from the manifest. */
class PortAssertionsTest {
  @TempDir Path dir;

  private static JsonNode bug(String id) {
    for (JsonNode b : Fixtures.manifest().path("bugs")) {
      if (id.equals(b.path("id").asText())) {
        return b;
      }
    }
    throw new IllegalArgumentException(id);
  }

  /** TorchScript declares no input shape: the manifest's. */
  private static CompareOptions torchOptions(String file) {
    JsonNode in = Fixtures.file(file).path("inputs").get(0);
    long[] dims = new long[in.path("shape").size()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = in.path("shape").get(i).asLong();
    }
    return CompareOptions.builder().shape(in.path("name").asText(), dims).build();
  }

  @Test
  void cleanExportIsTheSameModel() {
    PortAssertions.assertSameModel(
        Fixtures.path("models/cnn/cnn.torchscript.pt"),
        Fixtures.path("models/cnn/cnn.bn.onnx"),
        torchOptions("models/cnn/cnn.torchscript.pt"));
  }

  @Test
  void plantedEpsilonFailsWithTheCliExplanation() {
    JsonNode bug = bug("cnn.eps_bug");
    AssertionFailedError e =
        assertThrows(
            AssertionFailedError.class,
            () ->
                PortAssertions.assertSameModel(
                    Fixtures.path("models/cnn/cnn.torchscript.pt"),
                    Fixtures.path("models/cnn/cnn.eps_bug.bn.onnx"),
                    torchOptions("models/cnn/cnn.torchscript.pt")));
    String layer = bug.path("layer").path("pytorch").asText();
    assertTrue(
        e.getMessage().startsWith("first divergence (ATTRIBUTE): layer '" + layer + "'"),
        e.getMessage());
    assertTrue(e.getMessage().contains("==> epsilon expected: <"), e.getMessage());
    assertEquals(
        bug.path("finding").path("expected").asDouble(),
        Double.parseDouble(e.getExpected().getStringRepresentation()));
    assertEquals(
        bug.path("finding").path("actual").asDouble(),
        Double.parseDouble(e.getActual().getStringRepresentation()));
  }

  @Test
  void baselineOfTheTorchModelChecksItsExportsAndCatchesTheKernelSlip() throws Exception {
    String torch = "models/cnn/cnn.torchscript.pt";
    Path baseline = dir.resolve("cnn.json");
    try (ModelView v = Importers.open(Fixtures.path(torch))) {
      BaselineFormat.write(Snapshotter.snapshot(v, torchOptions(torch), "test"), baseline);
    }
    PortAssertions.assertMatchesBaseline(Fixtures.path(torch), baseline);
    PortAssertions.assertMatchesBaseline(Fixtures.path("models/cnn/cnn.bn.onnx"), baseline);
    JsonNode bug = bug("cnn.kernel_bug");
    AssertionFailedError e =
        assertThrows(
            AssertionFailedError.class,
            () ->
                PortAssertions.assertMatchesBaseline(
                    Fixtures.path("models/cnn/cnn.kernel_bug.bn.onnx"), baseline));
    assertTrue(
        e.getMessage()
            .startsWith(
                "first divergence (WEIGHTS): layer '"
                    + bug.path("layer").path("pytorch").asText()
                    + "'"),
        e.getMessage());
  }

  @Test
  void aForeignBaselineIsAnErrorNotAFailure() throws Exception {
    Path notBaseline = Files.writeString(dir.resolve("labels.json"), "[\"cat\", \"dog\"]");
    PortcheckException e =
        assertThrows(
            PortcheckException.class,
            () ->
                PortAssertions.assertMatchesBaseline(
                    Fixtures.path("models/cnn/cnn.bn.onnx"), notBaseline));
    assertTrue(e.getMessage().contains("is not a portcheck baseline"), e.getMessage());
  }
}
