package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.testing.Fixtures;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C in the middle of a comparison must not leave temporary files behind: the PyTorch importer
 * writes a rewritten copy of a TorchScript archive for its tapped run, ONNX Runtime unpacks its
 * natives. The CLI runs as a separate JVM with its own {@code java.io.tmpdir}, gets SIGINT while
 * such a file exists (or at fixed moments), and that folder must be empty once it has exited.
 */
class InterruptLeavesNoTempFilesTest {
  @TempDir Path work;

  private Process start(Path tmp) throws IOException {
    String cache = Fixtures.repoRoot().resolve("target/native-cache").toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Djava.io.tmpdir=" + tmp);
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-DDJL_CACHE_DIR=" + cache + "/djl");
    cmd.add("-DENGINE_CACHE_DIR=" + cache + "/djl");
    cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache + "/javacpp");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Portcheck.class.getName());
    cmd.addAll(
        List.of(
            "compare",
            Fixtures.path("models/cnn/cnn.torchscript.pt").toString(),
            Fixtures.path("models/cnn/cnn.bn.onnx").toString(),
            Fixtures.path("models/cnn/cnn.keras.tf2onnx.onnx").toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("DJL_CACHE_DIR", cache + "/djl");
    pb.environment().put("ENGINE_CACHE_DIR", cache + "/djl");
    pb.redirectErrorStream(true);
    pb.redirectOutput(work.resolve("out-" + tmp.getFileName() + ".txt").toFile());
    return pb.start();
  }

  private static List<String> contents(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).toList();
    }
  }

  private static void interrupt(Process p) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
    assertEquals(0, kill.waitFor(), "kill -INT");
  }

  private String finish(Process p, Path tmp) throws Exception {
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the CLI exits after SIGINT");
    String out = Files.readString(work.resolve("out-" + tmp.getFileName() + ".txt"));
    assertEquals(
        List.of(), contents(tmp), "temp files left after exit " + p.exitValue() + "\n" + out);
    return out;
  }

  @Test
  void sigintWhileTheRewrittenTorchScriptCopyExistsLeavesNoTempFile() throws Exception {
    Path tmp = Files.createDirectory(work.resolve("tmp-watch"));
    Process p = start(tmp);
    boolean seen = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (p.isAlive() && System.nanoTime() < deadline) {
      File[] now = tmp.toFile().listFiles((d, n) -> n.startsWith("portcheck-pt-"));
      if (now != null && now.length > 0) {
        seen = true;
        interrupt(p);
        break;
      }
      Thread.onSpinWait();
    }
    finish(p, tmp);
    assertTrue(seen, "the rewritten TorchScript copy was never seen in " + tmp);
    assertNotEquals(0, p.exitValue(), "interrupted, not finished");
  }

  @Test
  void sigintAtAnyMomentOfACompareLeavesNoTempFile() throws Exception {
    // Spread over loading the engines, opening the models and the tapped runs.
    for (long delayMs : new long[] {300, 900, 1600, 2500}) {
      Path tmp = Files.createDirectory(work.resolve("tmp-" + delayMs));
      Process p = start(tmp);
      if (!p.waitFor(delayMs, TimeUnit.MILLISECONDS)) {
        interrupt(p);
      }
      finish(p, tmp);
    }
  }
}
