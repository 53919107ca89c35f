package dev.portcheck.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Measuring a whole process from outside: VmHWM parsing and the process tree's peak. */
class ChildProcessRunTest {

  @Test
  void vmHwmIsReadInBytesFromProcStatus() {
    String status = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t  524288 kB\nVmRSS:\t  400000 kB\n";
    assertEquals(512L << 20, ChildProcessRun.parseVmHwm(status));
  }

  @Test
  void aProcessWithoutVmHwmCountsZero() {
    assertEquals(0, ChildProcessRun.parseVmHwm("Name:\tkthreadd\nState:\tS (sleeping)\n"));
  }

  @Test
  void vmHwmInAnotherUnitIsRefusedRatherThanMisread() {
    assertThrows(
        IllegalArgumentException.class, () -> ChildProcessRun.parseVmHwm("VmHWM:\t 5 MB\n"));
  }

  /**
   * A shell that stays the parent of a JVM which touches 256 MiB of heap: the peak is the JVM's (a
   * descendant), not the shell's few MiB, as with portcheck's launcher.
   */
  @Test
  void peakRssIsTheLargestAmongTheChildAndItsDescendants(@TempDir Path tmp) throws Exception {
    Path src = tmp.resolve("Hold.java");
    Files.writeString(
        src,
        "class Hold { public static void main(String[] a) throws Exception {"
            + " Thread.sleep(300); } }\n");
    String java = ProcessHandle.current().info().command().orElse("java");
    String cmd = "'" + java + "' -Xms256m -Xmx256m -XX:+AlwaysPreTouch '" + src + "'; exit $?";
    BenchFigures.ProcessRun r =
        ChildProcessRun.run(List.of("/bin/sh", "-c", cmd), tmp.resolve("log"), 5);
    assertEquals(0, r.exitCode(), Files.readString(tmp.resolve("log")));
    assertTrue(r.peakRssMiB() >= 256, "peak " + r.peakRssMiB() + " MiB");
    assertTrue(r.wallMs() >= 300, "wall " + r.wallMs());
    assertTrue(r.command().startsWith("/bin/sh -c "), r.command());
  }
}
