package dev.portcheck.comparator.labels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.PortcheckException.Reason;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelFilesTest {
  @TempDir Path dir;

  private Path write(String name, String text) throws IOException {
    return write(name, text.getBytes(StandardCharsets.UTF_8));
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private static List<String> manifestClassNames() {
    List<String> names = new ArrayList<>();
    Fixtures.manifest().path("labels").path("classNames").forEach(n -> names.add(n.asText()));
    return names;
  }

  private static PortcheckException usage(Path p) {
    PortcheckException e = assertThrows(PortcheckException.class, () -> LabelFiles.read(p));
    assertEquals(Reason.USAGE, e.reason());
    assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
    return e;
  }

  @Test
  void everyFixtureLabelFileReadsWithTheManifestEntryCount() {
    JsonNode files = Fixtures.manifest().path("labels").path("files");
    assertTrue(files.size() >= 5, "manifest lists the label files");
    for (JsonNode f : files) {
      LabelFile lf = LabelFiles.read(Fixtures.path(f.path("path").asText()));
      assertEquals(f.path("entries").asInt(), lf.size(), f.path("path").asText());
    }
  }

  @Test
  void textAndJsonObjectFixturesHoldTheImageNetTrainingOrder() {
    List<String> expected = manifestClassNames();
    assertEquals("tench", expected.get(0));
    assertEquals(expected, LabelFiles.read(Fixtures.path("models/labels/classes.txt")).names());
    assertEquals(expected, LabelFiles.read(Fixtures.path("models/labels/classes.json")).names());
    List<String> bg =
        LabelFiles.read(Fixtures.path("models/labels/classes_background.txt")).names();
    assertEquals("background", bg.get(0));
    assertEquals(expected, bg.subList(1, bg.size()));
  }

  @Test
  void crlfLinesAndNoTrailingNewlineAndBomAreAccepted() throws IOException {
    Path p = write("crlf.txt", "\uFEFFtench\r\ngoldfish\r\ngreat white shark");
    assertEquals(List.of("tench", "goldfish", "great white shark"), LabelFiles.read(p).names());
    Path q = write("trailing.txt", "tench\ngoldfish\n\n\n");
    assertEquals(List.of("tench", "goldfish"), LabelFiles.read(q).names());
  }

  @Test
  void jsonListAndKerasClassIndexPairsAreAccepted() throws IOException {
    Path list = write("list.json", "[\"tench\", \"goldfish\"]");
    assertEquals(List.of("tench", "goldfish"), LabelFiles.read(list).names());
    Path keras =
        write(
            "imagenet_class_index.json",
            "{\"1\": [\"n01443537\", \"goldfish\"], \"0\": [\"n01440764\", \"tench\"]}");
    assertEquals(List.of("tench", "goldfish"), LabelFiles.read(keras).names());
  }

  @Test
  void missingFileIsNotFoundAndNamesThePath() {
    Path p = dir.resolve("nope.txt");
    PortcheckException e = assertThrows(PortcheckException.class, () -> LabelFiles.read(p));
    assertEquals(Reason.NOT_FOUND, e.reason());
    assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("label file"));
  }

  @Test
  void emptyFileIsAUsageErrorThatSaysEmpty() throws IOException {
    assertTrue(usage(write("empty.txt", "")).getMessage().contains("is empty"));
    assertTrue(usage(write("blank.txt", "\n \n")).getMessage().contains("is empty"));
  }

  @Test
  void invalidUtf8IsReportedWithOffsetAndLine() throws IOException {
    byte[] latin1 = "tench\ngoldfish\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
    String msg = usage(write("latin1.txt", latin1)).getMessage();
    assertTrue(msg.contains("not valid UTF-8"), msg);
    assertTrue(msg.contains("byte 0xE9 at offset 18, line 3"), msg);
  }

  @Test
  void blankLineInTheMiddleNamesItsLineNumber() throws IOException {
    String msg = usage(write("gap.txt", "tench\ngoldfish\n\nshark\n")).getMessage();
    assertTrue(msg.contains("line 3 is blank"), msg);
    assertTrue(msg.contains("'goldfish' (line 2)") && msg.contains("'shark' (line 4)"), msg);
  }

  @Test
  void jsonObjectWithAGapNamesTheMissingIndex() throws IOException {
    String msg =
        usage(write("gap.json", "{\"0\": \"a\", \"1\": \"b\", \"3\": \"d\"}")).getMessage();
    assertTrue(msg.contains("no name for index 2"), msg);
    assertTrue(msg.contains("jump from 1 to 3"), msg);
  }

  @Test
  void jsonObjectWithANonIntegerKeyOrNonStringValueIsRejected() throws IOException {
    String key = usage(write("key.json", "{\"0\": \"a\", \"cat\": \"b\"}")).getMessage();
    assertTrue(key.contains("key \"cat\"") && key.contains("0..n-1"), key);
    String val = usage(write("val.json", "{\"0\": \"a\", \"1\": 7}")).getMessage();
    assertTrue(val.contains("key \"1\" is a JSON number"), val);
    String dup = usage(write("dup.json", "{\"0\": \"a\", \"0\": \"b\"}")).getMessage();
    assertTrue(dup.contains("not valid JSON") && dup.contains("Duplicate"), dup);
    String list = usage(write("list.json", "[\"a\", null]")).getMessage();
    assertTrue(list.contains("element 1 is a JSON null"), list);
  }

  @Test
  void malformedJsonSaysWhere() throws IOException {
    String msg = usage(write("bad.json", "[\"a\",\n \"b\"")).getMessage();
    assertTrue(msg.contains("not valid JSON at line 2"), msg);
  }

  @Test
  void folderIsAUsageError() {
    assertTrue(usage(dir).getMessage().contains("is a folder"));
  }
}
