package com.example.exports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.junit.PortAssertions;
import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * What a project that exports models writes with portcheck-junit, on JUnit 5.9: its clean export
 * passes, its Keras port with Keras' default BatchNorm epsilon fails with the epsilon finding.
 */
class ExportedModelsTest {
  private static final Path EXPORTS = Path.of(System.getProperty("exports.dir"));
  private static final Path TORCHSCRIPT = EXPORTS.resolve("cnn.torchscript.pt");

  @Test
  void theProjectRunsOnItsOwnJunit59() {
    assertEquals("5.9.3", Test.class.getPackage().getImplementationVersion());
    List<String> newer =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .map(p -> Path.of(p).getFileName().toString())
            .filter(j -> j.startsWith("junit-") && !j.contains("-5.9.3") && !j.contains("-1.9.3"))
            .toList();
    assertEquals(List.of(), newer, "portcheck-junit brought its own JUnit jars");
  }

  @Test
  void theOnnxExportIsTheSameModel() {
    PortAssertions.assertSameModel(
        TORCHSCRIPT,
        EXPORTS.resolve("cnn.bn.onnx"),
        CompareOptions.builder().shape("x", 1, 3, 32, 32).build());
  }

  @Test
  void theKerasPortWithKerasEpsilonFailsWithTheEpsilonFinding() {
    AssertionFailedError e =
        assertThrows(
            AssertionFailedError.class,
            () ->
                PortAssertions.assertSameModel(
                    TORCHSCRIPT, EXPORTS.resolve("cnn.eps_bug.keras.savedmodel")));
    assertTrue(
        e.getMessage()
            .startsWith("first divergence (ATTRIBUTE): layer 'bn2' [pytorch vs tensorflow]"),
        e.getMessage());
    assertTrue(
        e.getMessage()
            .contains(
                "layer 'bn2' [pytorch vs tensorflow] ==> epsilon expected: <1.0E-5> but was:"
                    + " <0.001>"),
        e.getMessage());
    assertEquals("1.0E-5", e.getExpected().getStringRepresentation());
    assertEquals("0.001", e.getActual().getStringRepresentation());
  }
}
