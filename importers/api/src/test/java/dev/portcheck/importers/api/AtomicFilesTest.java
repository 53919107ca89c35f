package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file replaced through {@link AtomicFiles} is the old one or the whole new one, never half. */
class AtomicFilesTest {
  @TempDir Path dir;

  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesANewFileCreatingItsFolders() throws IOException {
    Path f = dir.resolve("a/b/report.json");
    AtomicFiles.writeString(f, "{\"verdict\": \"MATCH\"}\n");
    assertEquals("{\"verdict\": \"MATCH\"}\n", Files.readString(f));
    try (Stream<Path> s = Files.list(f.getParent())) {
      assertEquals(List.of(f), s.toList(), "no temporary file left");
    }
  }

  @Test
  void replacesAnExistingFileKeepingItsPermissions() throws IOException {
    Path f = dir.resolve("baseline.json");
    Files.writeString(f, "old baseline, longer than the new one");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
    AtomicFiles.writeString(f, "new");
    assertEquals("new", Files.readString(f));
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    assertEquals(List.of("baseline.json"), names());
  }

  @Test
  void aNewFileGetsTheDefaultPermissionsNotPrivateOnes() throws IOException {
    Path plain = Files.createFile(dir.resolve("plain.txt"));
    Path f = dir.resolve("report.html");
    AtomicFiles.writeString(f, "<html></html>");
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(f));
  }

  @Test
  void aFailingWriterLeavesTheOldFileAndNoTemporaryFile() throws IOException {
    Path f = dir.resolve("baseline.json");
    Files.writeString(f, "old");
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.write(
                    f,
                    out -> {
                      out.write("half of the new".getBytes(StandardCharsets.UTF_8));
                      throw new IOException("disk full");
                    }));
    assertEquals("disk full", e.getMessage());
    assertEquals("old", Files.readString(f));
    assertEquals(List.of("baseline.json"), names());
  }

  @Test
  void aSymbolicLinkIsWrittenThroughAndStaysALink() throws IOException {
    Path real = Files.writeString(dir.resolve("real.json"), "old");
    Path link = Files.createSymbolicLink(dir.resolve("link.json"), real.getFileName());
    AtomicFiles.writeString(link, "new");
    assertTrue(Files.isSymbolicLink(link));
    assertEquals("new", Files.readString(real));
  }

  /**
   * A JVM killed with SIGKILL while it is half-way through writing the new content: the old file is
   * still whole, and only the hidden temporary file named after it is left.
   */
  @Test
  void aWriterKilledMidWriteLeavesTheOldFileWhole() throws Exception {
    Path f = dir.resolve("baseline.json");
    byte[] old =
        "{\"format\": \"portcheck-baseline\", \"old\": true}\n".getBytes(StandardCharsets.UTF_8);
    Files.write(f, old);
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                HalfWriter.class.getName(),
                f.toString())
            .redirectErrorStream(true)
            .start();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals(HalfWriter.HALF_WRITTEN, r.readLine(), "the writer reached its half-way mark");
      p.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    }
    assertArrayEquals(old, Files.readAllBytes(f));
    List<String> left = names();
    assertEquals(2, left.size(), left.toString());
    assertTrue(
        left.get(0).startsWith(".baseline.json.") && left.get(0).endsWith(".tmp"), left.get(0));
  }

  /** Writes half of a new file through {@link AtomicFiles}, says so, and waits to be killed. */
  static final class HalfWriter {
    static final String HALF_WRITTEN = "half written";

    public static void main(String[] args) throws IOException {
      AtomicFiles.write(
          Path.of(args[0]),
          out -> {
            out.write("{\"format\": \"portcheck-baseline\", \"la".getBytes(StandardCharsets.UTF_8));
            out.flush();
            System.out.println(HALF_WRITTEN);
            System.out.flush();
            try {
              Thread.sleep(60_000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            out.write("yers\": []}\n".getBytes(StandardCharsets.UTF_8));
          });
    }
  }
}
