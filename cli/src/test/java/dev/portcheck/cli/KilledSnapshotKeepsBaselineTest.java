package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.comparator.baseline.BaselineFormat;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.File;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code snapshot -o baseline.json} over a good baseline, killed with SIGKILL (no shutdown hook, no
 * finally block) at moments spread over its run and the moment its temporary file appears beside
 * the baseline (which it must: a write in place is what truncated baselines): the file is always
 * the old baseline or the whole new one, and a run that is not killed replaces it. (A kill in the
 * middle of the write itself is {@code AtomicFilesTest}'s, where it can be timed.)
 */
class KilledSnapshotKeepsBaselineTest {
  @TempDir Path dir;

  private Process snapshot(Path out) throws IOException {
    String cache = Fixtures.repoRoot().resolve("target/native-cache").toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-DDJL_CACHE_DIR=" + cache + "/djl");
    cmd.add("-DENGINE_CACHE_DIR=" + cache + "/djl");
    cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache + "/javacpp");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Portcheck.class.getName());
    cmd.addAll(
        List.of(
            "snapshot",
            Fixtures.path("models/cnn/cnn.torchscript.pt").toString(),
            "--shape",
            "x=1,3,32,32",
            "-o",
            out.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("DJL_CACHE_DIR", cache + "/djl");
    pb.environment().put("ENGINE_CACHE_DIR", cache + "/djl");
    pb.redirectErrorStream(true);
    pb.redirectOutput(dir.resolve("snapshot-output.txt").toFile());
    return pb.start();
  }

  /**
   * Waits for the creation of {@code .NAME.*.tmp} beside the baseline, from inotify (the event is
   * queued even when the file is renamed before it is read); false if {@code p} exits first.
   */
  private static boolean awaitTemporaryFile(WatchService watch, Path baseline, Process p)
      throws InterruptedException {
    String prefix = "." + baseline.getFileName() + ".";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      WatchKey key = watch.poll(10, TimeUnit.MILLISECONDS);
      if (key != null) {
        for (WatchEvent<?> e : key.pollEvents()) {
          String name = String.valueOf(e.context());
          if (name.startsWith(prefix) && name.endsWith(".tmp")) {
            return true;
          }
        }
        key.reset();
      } else if (!p.isAlive()) {
        return false;
      }
    }
    return false;
  }

  @Test
  void aKilledSnapshotLeavesTheOldBaselineWholeAndAFinishedOneReplacesIt() throws Exception {
    Path baseline = dir.resolve("baselines/cnn.baseline.json");
    // The old baseline: the same network's ONNX export, so its bytes differ from the new one's.
    CliRunner.Result first =
        CliRunner.run(
            "snapshot",
            Fixtures.path("models/cnn/cnn.bn.onnx").toString(),
            "-o",
            baseline.toString());
    assertEquals(0, first.exitCode(), first.err());
    byte[] old = Files.readAllBytes(baseline);

    WatchService watch = FileSystems.getDefault().newWatchService();
    baseline.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE);
    int oldKept = 0;
    // -1: kill as soon as the temporary file beside the baseline shows up.
    for (long delayMs : new long[] {-1, 150, 400, 700, 1000, 1400}) {
      Files.write(baseline, old);
      Process p = snapshot(baseline);
      if (delayMs < 0) {
        assertTrue(
            awaitTemporaryFile(watch, baseline, p),
            "snapshot wrote no temporary file beside the baseline: it must not write in place");
      } else {
        p.waitFor(delayMs, TimeUnit.MILLISECONDS);
      }
      p.destroyForcibly(); // SIGKILL
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the killed JVM exits");
      byte[] now = Files.readAllBytes(baseline);
      if (Arrays.equals(old, now)) {
        oldKept++;
      } else {
        // The rename happened before the kill landed: then it is the whole new baseline, never a
        // part of one.
        assertEquals(
            "pytorch",
            BaselineFormat.read(baseline).model().framework().id(),
            "killed after "
                + delayMs
                + " ms: "
                + Files.readString(dir.resolve("snapshot-output.txt")));
      }
    }
    // The early kills land before anything is written (the JVM is still loading the engines).
    assertTrue(oldKept >= 3, "the old baseline was kept by " + oldKept + " of 6 killed runs");

    Files.write(baseline, old);
    // What killed writes may have left (their hidden temporary files) goes; a finished run leaves
    // nothing but the baseline.
    for (File f : leftovers(baseline)) {
      Files.delete(f.toPath());
    }
    Process p = snapshot(baseline);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("snapshot-output.txt")));
    byte[] replaced = Files.readAllBytes(baseline);
    assertFalse(Arrays.equals(old, replaced), "a finished snapshot replaces the baseline");
    assertEquals(
        "pytorch", BaselineFormat.read(baseline).model().framework().id(), "and it is whole");
    assertEquals(List.of(), List.of(leftovers(baseline)));
  }

  private static File[] leftovers(Path baseline) {
    File[] left = baseline.getParent().toFile().listFiles((d, n) -> n.endsWith(".tmp"));
    assertNotNull(left);
    return left;
  }
}
