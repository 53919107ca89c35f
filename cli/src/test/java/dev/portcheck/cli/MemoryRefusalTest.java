package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.testing.Fixtures;
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
}
