package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Models that cannot fit are refused before anything is loaded, with what to do about it. */
class MemoryRefusalTest {
  @Test
  void modelsThatCannotFitAreRefusedBeforeLoading() {
    CliRunner.Result r =
        CliRunner.run(
            "compare",
            Fixtures.path("models/cnn/cnn.torchscript.pt").toString(),
            Fixtures.path("models/cnn/cnn.bn.onnx").toString(),
            "--max-memory",
            "200M");
    assertEquals(2, r.exitCode());
    assertTrue(
        r.err().contains("need at least 1.0 GiB of memory to compare")
            && r.err().contains("--max-memory allows 200 MiB"),
        r.err());
    assertTrue(!r.err().contains("at dev.portcheck"), "no stack trace: " + r.err());
  }

  /**
   * The engines make different amounts of memory of the same bytes: a SavedModel is parsed and
   * imported (7 ×), an ONNX file parsed twice (4 ×), a TorchScript archive read once (2 ×).
   */
  @Test
  void eachFormatIsWeightedByWhatItsEngineMakesOfIt() throws Exception {
    Path sm = Fixtures.path("models/cnn/cnn.keras.savedmodel");
    Path onnx = Fixtures.path("models/cnn/cnn.bn.onnx");
    Path ts = Fixtures.path("models/cnn/cnn.torchscript.pt");
    long smBytes = MemoryBudget.diskBytes(sm);
    assertTrue(smBytes > Files.size(sm.resolve("saved_model.pb")), "the folder's files count");
    assertEquals(new MemoryBudget.Footprint(smBytes, 6 * smBytes), MemoryBudget.footprint(sm));
    long onnxBytes = Files.size(onnx);
    assertEquals(
        new MemoryBudget.Footprint(onnxBytes, 4 * onnxBytes), MemoryBudget.footprint(onnx));
    long tsBytes = Files.size(ts);
    assertEquals(
        new MemoryBudget.Footprint(tsBytes, (long) (1.1 * tsBytes)), MemoryBudget.footprint(ts));
  }
}
