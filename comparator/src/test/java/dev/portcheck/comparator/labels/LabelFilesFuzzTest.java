package dev.portcheck.comparator.labels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portcheck.importers.api.PortcheckException;
import java.nio.file.Path;

/**
 * Fuzzes the label-file reader, as text and as JSON: any bytes either give a non-empty list of
 * names or a {@link PortcheckException} naming the file. CI runs the saved inputs only; see
 * docs/FUZZING.md to fuzz.
 */
class LabelFilesFuzzTest {
  @FuzzTest(maxDuration = "5m")
  void parseEitherListsNamesOrRefusesNamingTheFile(byte[] data) {
    for (Path p : new Path[] {Path.of("fuzz-labels.txt"), Path.of("fuzz-labels.json")}) {
      try {
        LabelFile f = LabelFiles.parse(p, data);
        assertFalse(f.names().isEmpty(), "a parsed label file has names");
      } catch (PortcheckException e) {
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
      }
    }
  }
}
