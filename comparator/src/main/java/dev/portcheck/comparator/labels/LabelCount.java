package dev.portcheck.comparator.labels;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A label file whose length differs from its model's output count, and where the difference lies,
 * as the evidence shows it: the file's names compared position by position with the other model's
 * (shifted by ±k when that lines them up), through the outputs matched by their scores.
 *
 * @param model the model id
 * @param file the label file
 * @param names how many names the file holds
 * @param outputs how many outputs the model has
 * @param start how many names the file has before the one naming output 0 (an extra leading name
 *     such as {@code background}); negative when the first outputs have no name (the first names
 *     are missing); null when no shift lines the names up with the other model's
 * @param end how many names follow the one naming the last output; negative when the last outputs
 *     have no name; null when no shift lines the names up
 * @param description the kind of difference in words, e.g. {@code the last name is missing (m0
 *     calls output 9 'ostrich')}
 */
public record LabelCount(
    String model,
    Path file,
    int names,
    int outputs,
    Integer start,
    Integer end,
    String description) {
  /** {@code start} and {@code end} are both given or both null. */
  public LabelCount {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(description, "description");
    if ((start == null) != (end == null)) {
      throw new IllegalArgumentException("start and end are both known or both unknown");
    }
  }

  /** Whether the evidence says where the names are missing or to spare. */
  public boolean located() {
    return start != null;
  }

  /** A JSON-ready view: {@code {model, file, names, outputs, start, end, description}}. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", model);
    m.put("file", file.toString());
    m.put("names", names);
    m.put("outputs", outputs);
    m.put("start", start);
    m.put("end", end);
    m.put("description", description);
    return m;
  }
}
