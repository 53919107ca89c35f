package dev.portcheck.comparator.labels;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.importers.api.PortcheckException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads label files: plain text with one name per line (LF or CRLF, trailing newline optional), a
 * JSON list {@code ["tench", ...]}, or a JSON object {@code {"0": "tench", ...}} whose keys are
 * exactly {@code 0..n-1}. Object values may also be {@code ["n01440764", "tench"]} pairs (the Keras
 * {@code imagenet_class_index.json} layout); the last element is the name.
 *
 * <p>A file that cannot be read as a list of names is a {@link PortcheckException} (reason {@code
 * USAGE}, or {@code NOT_FOUND}) naming the file, the problem and the fix. Duplicates, blank JSON
 * values and alphabetical order are not errors here: {@link LabelLint} reports them.
 */
public final class LabelFiles {
  /** Far above any real class list (ImageNet-21k is ~0.5 MB); refuse before reading into memory. */
  static final long MAX_BYTES = 64L << 20;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private static final String FORMATS =
      "one class name per line, a JSON list [\"tench\", ...] or a JSON object {\"0\": \"tench\","
          + " ...}";

  private LabelFiles() {}

  /** Reads a label file; see the class comment for the accepted formats and errors. */
  public static LabelFile read(Path path) {
    if (!Files.exists(path)) {
      throw PortcheckException.of(
          PortcheckException.Reason.NOT_FOUND,
          path + ": label file not found. Check the path; a label file holds " + FORMATS + ".",
          null);
    }
    if (Files.isDirectory(path)) {
      throw usage(path, "is a folder, not a label file; pass the file that holds " + FORMATS);
    }
    byte[] bytes;
    try {
      long size = Files.size(path);
      if (size > MAX_BYTES) {
        throw usage(
            path,
            "is "
                + size
                + " bytes, too large for a class-name list (limit "
                + MAX_BYTES
                + "); check that it is the label file");
      }
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      throw PortcheckException.unreadable(path, e);
    }
    return parse(path, bytes);
  }

  /**
   * Parses label-file bytes; {@code source} names the file in messages and picks JSON by suffix.
   */
  public static LabelFile parse(Path source, byte[] bytes) {
    String text = decodeUtf8(source, bytes);
    if (text.startsWith("\uFEFF")) {
      // Windows editors prepend a byte-order mark; it is not part of the first class name.
      text = text.substring(1);
    }
    if (text.isBlank()) {
      throw usage(source, "is empty; a label file holds " + FORMATS);
    }
    String trimmed = text.strip();
    boolean json =
        source.toString().toLowerCase(Locale.ROOT).endsWith(".json")
            || (trimmed.startsWith("[") && trimmed.endsWith("]"))
            || (trimmed.startsWith("{") && trimmed.endsWith("}"));
    List<String> names = json ? parseJson(source, text) : parseLines(source, text);
    return new LabelFile(source, names);
  }

  private static String decodeUtf8(Path source, byte[] bytes) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    // UTF-8 never yields more UTF-16 units than it has bytes.
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      int at = in.position();
      int line = 1;
      for (int i = 0; i < at; i++) {
        if (bytes[i] == '\n') {
          line++;
        }
      }
      throw usage(
          source,
          String.format(
              Locale.ROOT,
              "is not valid UTF-8 (byte 0x%02X at offset %d, line %d); save it as UTF-8, e.g."
                  + " iconv -f latin1 -t utf-8",
              bytes[at] & 0xFF,
              at,
              line));
    }
    out.flip();
    return out.toString();
  }

  private static List<String> parseLines(Path source, String text) {
    String[] lines = text.split("\n", -1);
    int end = lines.length;
    // A trailing newline (or several) leaves empty last elements; they are not classes.
    while (end > 0 && stripCr(lines[end - 1]).isBlank()) {
      end--;
    }
    List<String> names = new ArrayList<>(end);
    for (int i = 0; i < end; i++) {
      String name = stripCr(lines[i]).strip();
      if (name.isEmpty()) {
        int next = i + 1;
        while (stripCr(lines[next]).isBlank()) {
          next++;
        }
        throw usage(
            source,
            "line "
                + (i + 1)
                + " is blank, between "
                + (i == 0 ? "the start of the file" : "'" + names.get(i - 1) + "' (line " + i + ")")
                + " and '"
                + stripCr(lines[next]).strip()
                + "' (line "
                + (next + 1)
                + "). Every line names the output of the same index, so a blank line shifts all"
                + " names after it: remove it, or write a placeholder name if the class is unused");
      }
      names.add(name);
    }
    return names;
  }

  private static String stripCr(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }

  private static List<String> parseJson(Path source, String text) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      String where =
          loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
      throw usage(
          source,
          "is not valid JSON" + where + " (" + e.getOriginalMessage() + "); fix the syntax");
    }
    if (root == null || root.isMissingNode()) {
      throw usage(source, "is empty; a label file holds " + FORMATS);
    }
    if (root.isArray()) {
      List<String> names = new ArrayList<>(root.size());
      for (int i = 0; i < root.size(); i++) {
        names.add(jsonName(source, root.get(i), "element " + i));
      }
      if (names.isEmpty()) {
        throw usage(source, "is an empty JSON list; it must list the class names in output order");
      }
      return names;
    }
    if (root.isObject()) {
      return parseJsonObject(source, root);
    }
    throw usage(
        source,
        "holds a JSON "
            + root.getNodeType().name().toLowerCase(Locale.ROOT)
            + "; expected "
            + FORMATS);
  }

  private static List<String> parseJsonObject(Path source, JsonNode root) {
    TreeMap<Integer, String> byIndex = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      int index;
      try {
        index = Integer.parseInt(e.getKey().strip());
      } catch (NumberFormatException ex) {
        throw usage(
            source,
            "has the key \""
                + e.getKey()
                + "\", which is not an output index; keys must be the integers 0..n-1, as in"
                + " {\"0\": \"tench\", \"1\": \"goldfish\"}");
      }
      if (index < 0) {
        throw usage(source, "has the negative index " + index + "; keys must be 0..n-1");
      }
      if (byIndex.put(index, jsonName(source, e.getValue(), "key \"" + e.getKey() + "\""))
          != null) {
        throw usage(source, "gives index " + index + " twice (e.g. \"1\" and \"01\"); keep one");
      }
    }
    if (byIndex.isEmpty()) {
      throw usage(source, "is an empty JSON object; it must map 0..n-1 to class names");
    }
    List<String> names = new ArrayList<>(byIndex.size());
    int expected = 0;
    for (Map.Entry<Integer, String> e : byIndex.entrySet()) {
      if (e.getKey() != expected) {
        throw usage(
            source,
            "has no name for index "
                + expected
                + " (keys jump from "
                + (expected - 1)
                + " to "
                + e.getKey()
                + "; "
                + byIndex.size()
                + " keys up to "
                + byIndex.lastKey()
                + "). Keys must be 0..n-1 without gaps: a gap would shift every later name");
      }
      names.add(e.getValue());
      expected++;
    }
    return names;
  }

  private static String jsonName(Path source, JsonNode node, String where) {
    if (node.isTextual()) {
      return node.asText().strip();
    }
    // Keras' imagenet_class_index.json maps "0" -> ["n01440764", "tench"]: keep the readable name.
    if (node.isArray() && node.size() > 0 && allTextual(node)) {
      return node.get(node.size() - 1).asText().strip();
    }
    throw usage(
        source,
        where
            + " is a JSON "
            + node.getNodeType().name().toLowerCase(Locale.ROOT)
            + " ("
            + abbreviate(node.toString())
            + "), not a class name; every value must be a string");
  }

  private static boolean allTextual(JsonNode array) {
    for (JsonNode n : array) {
      if (!n.isTextual()) {
        return false;
      }
    }
    return true;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }

  private static PortcheckException usage(Path source, String problem) {
    return PortcheckException.usage(source + ": " + problem + ".");
  }
}
