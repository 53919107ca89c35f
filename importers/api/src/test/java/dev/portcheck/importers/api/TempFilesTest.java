package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a killed process leaves (its shutdown hook never ran) is deleted by the next one; the files
 * of a process that still runs, and files that are not portcheck's, are kept.
 */
class TempFilesTest {
  @Test
  void filesOfProcessesThatAreGoneAreSweptAndOthersKept(@TempDir Path dir) throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    long deadPid = gone.pid();
    long livePid = ProcessHandle.current().pid();
    Path left = Files.createFile(dir.resolve("portcheck-pt-" + deadPid + "-123.pt"));
    Path leftOrt = Files.createFile(dir.resolve("portcheck-ort-" + deadPid + "-456.onnx"));
    Path live = Files.createFile(dir.resolve("portcheck-pt-" + livePid + "-789.pt"));
    Path notOurs = Files.createFile(dir.resolve("portcheck-notes-" + deadPid + ".txt"));
    Path other = Files.createFile(dir.resolve("model-" + deadPid + "-1.pt"));

    assertEquals(2, TempFiles.sweep(dir));

    assertFalse(Files.exists(left));
    assertFalse(Files.exists(leftOrt));
    assertTrue(Files.exists(live));
    assertTrue(Files.exists(notOurs));
    assertTrue(Files.exists(other));
  }

  @Test
  void aCreatedFileNamesItsProcess() throws Exception {
    Path p = TempFiles.create("portcheck-pt-", ".pt");
    try {
      assertTrue(
          p.getFileName()
              .toString()
              .startsWith("portcheck-pt-" + ProcessHandle.current().pid() + "-"),
          p.toString());
    } finally {
      TempFiles.delete(p);
    }
  }
}
