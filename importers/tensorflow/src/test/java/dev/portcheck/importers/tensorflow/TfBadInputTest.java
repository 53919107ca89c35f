package dev.portcheck.importers.tensorflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.PortcheckException.Reason;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken SavedModels, junk files and wrong inputs end in a PortcheckException naming the file. */
class TfBadInputTest {
  private static final String CNN = "models/cnn/cnn.keras.savedmodel";
  @TempDir Path tmp;

  private Path copyOfCnn() throws IOException {
    Path src = Fixtures.path(CNN);
    Path dst = tmp.resolve("cnn.savedmodel");
    try (var s = Files.walk(src)) {
      for (Path p : s.toList()) {
        Path t = dst.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    return dst;
  }

  @Test
  void savedModelWithoutVariablesFolderIsReportedAsCorrupt() throws IOException {
    Path dir = copyOfCnn();
    try (var s = Files.walk(dir.resolve("variables"))) {
      s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    }
    PortcheckException e = assertThrows(PortcheckException.class, () -> Importers.open(dir));
    assertEquals(Reason.CORRUPT, e.reason());
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("variables/variables.index is missing"), e.getMessage());
  }

  /** Before: "the engine failed while loading the SavedModel: Read less bytes than requested". */
  @Test
  void truncatedVariablesDataIsReportedAsTruncatedNamingTheVariablesFiles() throws IOException {
    Path dir = copyOfCnn();
    try (var s = Files.list(dir.resolve("variables"))) {
      for (Path p : s.filter(f -> f.getFileName().toString().contains("data")).toList()) {
        byte[] b = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(b, b.length / 2));
      }
    }
    PortcheckException e = assertThrows(PortcheckException.class, () -> Importers.open(dir));
    assertEquals(Reason.TRUNCATED, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("variables/variables.data-* is shorter"), e.getMessage());
    assertTrue(e.getMessage().contains("copy the whole SavedModel folder again"), e.getMessage());
  }

  @Test
  void truncatedSavedModelPbIsReportedAsTruncated() throws IOException {
    Path dir = copyOfCnn();
    Path pb = dir.resolve("saved_model.pb");
    byte[] b = Files.readAllBytes(pb);
    Files.write(pb, Arrays.copyOf(b, b.length / 2));
    PortcheckException e = assertThrows(PortcheckException.class, () -> Importers.open(dir));
    assertEquals(Reason.TRUNCATED, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("saved_model.pb"), e.getMessage());
  }

  @Test
  void randomBytesPbIsRejectedWithTheFileName() throws IOException {
    Path junk = tmp.resolve("junk.pb");
    byte[] b = new byte[4096];
    new Random(7).nextBytes(b);
    b[0] = 0x0a; // looks like a GraphDef's first field, then garbage
    Files.write(junk, b);
    PortcheckException e = assertThrows(PortcheckException.class, () -> Importers.open(junk));
    assertTrue(e.reason() == Reason.CORRUPT || e.reason() == Reason.TRUNCATED, e.getMessage());
    assertTrue(e.getMessage().contains(junk.toString()), e.getMessage());
  }

  @Test
  void onnxFilesAreNotClaimedByTheTensorflowImporter() {
    TfImporter tf = new TfImporter();
    assertFalse(tf.canOpen(Fixtures.path("models/cnn/cnn.bn.onnx")));
    assertTrue(tf.canOpen(Fixtures.path("models/cnn/cnn.keras.frozen.pb")));
    assertTrue(tf.canOpen(Fixtures.path(CNN)));
  }

  @Test
  void unknownInputNameIsBadInputListingTheExpectedNames() {
    try (ModelView v = Importers.open(Fixtures.path(CNN))) {
      Tensor x = Tensor.filled(new long[] {1, 32, 32, 3}, 1f);
      PortcheckException e =
          assertThrows(PortcheckException.class, () -> v.run(Map.of("x", x), TapSelection.NONE));
      assertEquals(Reason.BAD_INPUT, e.reason());
      assertTrue(
          e.getMessage().contains("Unknown input name x, expected one of [input]"), e.getMessage());
    }
  }

  @Test
  void wrongInputShapeIsBadInputNamingBothShapes() {
    try (ModelView v = Importers.open(Fixtures.path(CNN))) {
      Tensor nchw = Tensor.filled(new long[] {1, 3, 32, 32}, 1f);
      PortcheckException e =
          assertThrows(
              PortcheckException.class, () -> v.run(Map.of("input", nchw), TapSelection.NONE));
      assertEquals(Reason.BAD_INPUT, e.reason());
      assertTrue(e.getMessage().contains("[1, 3, 32, 32]"), e.getMessage());
      assertTrue(e.getMessage().contains("[1, 32, 32, 3]"), e.getMessage());
    }
  }
}
