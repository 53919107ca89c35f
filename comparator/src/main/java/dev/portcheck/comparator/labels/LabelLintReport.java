package dev.portcheck.comparator.labels;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The findings about one label file checked against one model's output size.
 *
 * @param source the label file
 * @param names how many names it holds
 * @param outputs how many outputs the model has
 * @param findings what was found, most severe first
 */
public record LabelLintReport(Path source, int names, int outputs, List<LabelFinding> findings) {
  /** Copies {@code findings}. */
  public LabelLintReport {
    Objects.requireNonNull(source, "source");
    findings = List.copyOf(findings);
  }

  /** The most severe finding's severity, empty when the file looks right. */
  public Optional<LabelFinding.Severity> worst() {
    return findings.stream().map(LabelFinding::severity).min(Enum::compareTo);
  }

  /** Whether any finding is an {@link LabelFinding.Severity#ERROR}. */
  public boolean hasErrors() {
    return worst().filter(s -> s == LabelFinding.Severity.ERROR).isPresent();
  }

  /** A JSON-ready view: {@code {source, names, outputs, findings: [...]}}. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("source", source.toString());
    m.put("names", names);
    m.put("outputs", outputs);
    m.put("findings", findings.stream().map(LabelFinding::toMap).toList());
    return m;
  }
}
