package dev.portcheck.comparator.labels;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One observation about a label file.
 *
 * @param severity how much it matters
 * @param kind what was observed, for machines
 * @param message what was observed and what to do, for people
 */
public record LabelFinding(Severity severity, Kind kind, String message) {
  /** How much a finding matters. */
  public enum Severity {
    /** Predictions will be named wrongly. */
    ERROR,
    /** Probably wrong; check it. */
    WARNING,
    /** Worth knowing. */
    INFO
  }

  /** What a finding is about. */
  public enum Kind {
    /** The number of names differs from the number of outputs. */
    COUNT,
    /** A name occurs more than once. */
    DUPLICATE,
    /** A name is empty or white space. */
    BLANK,
    /** The names are in alphabetical order. */
    SORTED,
    /** Index 0 is a background class. */
    BACKGROUND
  }

  /** All components are required. */
  public LabelFinding {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(message, "message");
  }

  /** A JSON-ready view: {@code {severity, kind, message}}. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("severity", severity.name());
    m.put("kind", kind.name());
    m.put("message", message);
    return m;
  }
}
