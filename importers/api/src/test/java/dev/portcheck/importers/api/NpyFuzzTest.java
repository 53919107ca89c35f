package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;

/**
 * Fuzzes the {@code .npy} reader: any bytes either parse into a tensor whose size matches its shape
 * or fail with a {@link PortcheckException} naming the file. Anything else (an index, arithmetic or
 * memory error) is a finding. CI runs the saved inputs only; see docs/FUZZING.md to fuzz.
 */
class NpyFuzzTest {
  private static final Path FILE = Path.of("fuzz-input.npy");

  @FuzzTest(maxDuration = "5m")
  void parseEitherReadsAConsistentTensorOrRefusesNamingTheFile(byte[] data) {
    try {
      Tensor t = Npy.parse(FILE, data);
      assertTrue(t.size() == Tensor.elementCount(t.shape()), "size matches shape");
    } catch (PortcheckException e) {
      assertTrue(e.getMessage().contains("fuzz-input.npy"), e.getMessage());
    }
  }
}
