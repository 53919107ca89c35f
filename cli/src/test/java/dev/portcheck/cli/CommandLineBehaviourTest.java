package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLineBehaviourTest {
  @TempDir Path dir;

  @Test
  void helpListsCommandsAndExitCodes() {
    CliRunner.Result r = CliRunner.run("--help");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().contains("inspect"), r.out());
    assertTrue(r.out().contains("2   could not check"), r.out());
  }

  @Test
  void unknownCommandIsAUsageErrorWithExitCode2() {
    CliRunner.Result r = CliRunner.run("frobnicate");
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
    assertTrue(r.err().startsWith("portcheck: unknown command 'frobnicate'; "), r.err());
  }

  @Test
  void missingModelFileNamesTheFileWithoutStackTrace() {
    Path missing = dir.resolve("nope.onnx");
    CliRunner.Result r = CliRunner.run("inspect", missing.toString());
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
    assertTrue(r.err().contains(missing + ": no such file or folder"), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
  }

  @Test
  void verboseShowsTheStackTrace() {
    CliRunner.Result r = CliRunner.run("inspect", "--verbose", dir.resolve("nope.onnx").toString());
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
    assertTrue(r.err().contains("\tat "), r.err());
  }

  @Test
  void randomBytesAreAnUnsupportedFormatNotACrash() throws Exception {
    Path junk = dir.resolve("model.onnx");
    byte[] bytes = new byte[4096];
    new java.util.Random(7).nextBytes(bytes);
    Files.write(junk, bytes);
    CliRunner.Result r = CliRunner.run("inspect", junk.toString());
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
    assertTrue(r.err().contains(junk.toString()), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }
}
