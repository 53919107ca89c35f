package dev.portcheck.comparator.labels;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A class-name list: {@code names.get(i)} names output {@code i} of a classifier.
 *
 * @param source where the names came from (used in messages)
 * @param names the names in file order
 */
public record LabelFile(Path source, List<String> names) {
  /** Copies {@code names}; neither argument may be null. */
  public LabelFile {
    Objects.requireNonNull(source, "source");
    names = List.copyOf(names);
  }

  /** How many names the file holds. */
  public int size() {
    return names.size();
  }

  /** The file name alone, for short messages. */
  public String fileName() {
    Path f = source.getFileName();
    return f == null ? source.toString() : f.toString();
  }

  /**
   * How a position is called in messages: "line 3" for text files (1-based, as editors show it),
   * "index 2" for JSON files.
   */
  String position(int index) {
    return isJson() ? "index " + index : "line " + (index + 1);
  }

  boolean isJson() {
    return fileName().toLowerCase(java.util.Locale.ROOT).endsWith(".json");
  }
}
