package dev.portcheck.comparator.output;

import dev.portcheck.comparator.labels.LabelFinding;
import dev.portcheck.comparator.labels.LabelPair;
import dev.portcheck.comparator.labels.LabelReport;
import dev.portcheck.comparator.report.AttributeMismatch;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.comparator.report.LayerComparison;
import dev.portcheck.comparator.report.LayerStatus;
import dev.portcheck.comparator.report.LayoutConversion;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.comparator.report.ModelStats;
import dev.portcheck.comparator.report.Numbers;
import dev.portcheck.comparator.report.OutputComparison;
import dev.portcheck.comparator.report.PairMetrics;
import dev.portcheck.comparator.report.ProbeReport;
import dev.portcheck.comparator.report.WeightMismatch;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A table of aligned layers (name per model, op, status, evidence, mean per model, worst max abs
 * diff and cosine), then attribute and weight findings, outputs, and the verdict with its
 * explanation.
 */
public final class TextRenderer {

  /** The report as plain text, lines separated by '\n'. */
  public String render(ComparisonReport r) {
    StringBuilder b = new StringBuilder();
    for (ModelRef m : r.models()) {
      b.append(m.id())
          .append("  ")
          .append(m.framework().id())
          .append("  ")
          .append(m.path())
          .append('\n');
    }
    if (!r.probes().isEmpty()) {
      b.append("probes: ")
          .append(r.probes().stream().map(ProbeReport::label).collect(Collectors.joining(", ")));
      for (LayoutConversion c : r.probes().get(0).conversions()) {
        b.append("; ")
            .append(c.modelId())
            .append(" '")
            .append(c.input())
            .append("' ")
            .append(c.from())
            .append("->")
            .append(c.to())
            .append(" transpose")
            .append(c.permutation());
      }
      b.append('\n');
    }
    b.append('\n');
    List<String[]> table = new ArrayList<>();
    List<String> head = new ArrayList<>();
    for (ModelRef m : r.models()) {
      head.add(m.id());
    }
    head.addAll(List.of("op", "status", "aligned by"));
    for (ModelRef m : r.models()) {
      head.add("mean " + m.id());
    }
    head.addAll(List.of("max abs diff", "cosine"));
    table.add(head.toArray(String[]::new));
    for (LayerComparison l : r.layers()) {
      List<String> row = new ArrayList<>();
      for (ModelRef m : r.models()) {
        row.add(l.names().getOrDefault(m.id(), "-"));
      }
      row.add(l.opType());
      row.add(l.status().name());
      row.add(
          l.alignedBy() == null ? "-" : l.alignedBy().name().toLowerCase(java.util.Locale.ROOT));
      for (ModelRef m : r.models()) {
        ModelStats s = l.metrics() == null ? null : l.metrics().stats().get(m.id());
        row.add(s == null ? "-" : mean(s));
      }
      double maxAbs = 0;
      double cos = 1;
      boolean any = false;
      boolean anyCosine = false;
      if (l.metrics() != null) {
        for (PairMetrics p : l.metrics().vsReference().values()) {
          any = true;
          maxAbs =
              Double.isNaN(p.maxAbsDiff()) || Double.isNaN(maxAbs)
                  ? Double.NaN
                  : Math.max(maxAbs, p.maxAbsDiff());
          // Only an element-wise comparison has a cosine; summaries and statistics have none.
          if (p.elementwise()) {
            anyCosine = true;
            cos = Math.min(cos, p.cosine());
          }
        }
      }
      row.add(any ? Numbers.format(maxAbs) : "-");
      row.add(anyCosine ? Numbers.format(cos) : "-");
      table.add(row.toArray(String[]::new));
    }
    appendTable(b, table);
    for (LayerComparison l : r.layers()) {
      if (l.note() != null) {
        b.append("  note ")
            .append(l.names().values().iterator().next())
            .append(": ")
            .append(l.note())
            .append('\n');
      }
      if (l.status() == LayerStatus.DRIFT) {
        b.append("  drift ")
            .append(l.names().values().iterator().next())
            .append(": ")
            .append(FindingText.drift(l.metrics()))
            .append('\n');
      }
    }
    if (!r.attributeMismatches().isEmpty()) {
      b.append("\nattribute mismatches:\n");
      for (AttributeMismatch m : r.attributeMismatches()) {
        b.append("  ")
            .append(m.attribute())
            .append(" at ")
            .append(m.names())
            .append(": ")
            .append(
                m.values().entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue().render())
                    .collect(Collectors.joining(" vs ")))
            .append(m.inferredBy() == null ? "" : " (" + FindingText.attributeNote(m) + ")")
            .append('\n');
      }
    }
    if (!r.weightMismatches().isEmpty()) {
      b.append("\nweight mismatches:\n");
      for (WeightMismatch w : r.weightMismatches()) {
        b.append("  ")
            .append(w.role())
            .append(" at ")
            .append(w.names())
            .append(": ")
            .append(FindingText.weightDetail(w))
            .append('\n');
      }
    }
    if (!r.outputs().isEmpty()) {
      b.append("\noutputs:\n");
      for (OutputComparison o : r.outputs()) {
        b.append("  ")
            .append(o.modelId())
            .append(" '")
            .append(o.name())
            .append("' vs m0 '")
            .append(o.referenceName())
            .append("': max abs diff ")
            .append(Numbers.format(o.metrics().maxAbsDiff()))
            .append(
                o.metrics().elementwise()
                    ? ", cosine " + Numbers.format(o.metrics().cosine())
                    : " (" + o.metrics().comparedAs() + ")")
            .append(
                o.metrics().drift()
                    ? " (float32 drift: " + FindingText.drift(o.metrics()) + ")"
                    : "")
            .append('\n');
      }
    }
    for (String note : r.notes()) {
      b.append("\nnote: ").append(note).append('\n');
    }
    b.append("\nverdict: ").append(r.verdict()).append('\n');
    if (r.firstDivergence() != null) {
      b.append(new FindingText(r.models()).firstDivergence(r.firstDivergence())).append('\n');
    }
    if (r.labels() != null) {
      appendLabels(b, r.labels());
    }
    return b.toString();
  }

  private static void appendLabels(StringBuilder b, LabelReport labels) {
    b.append("\nlabels: ").append(labels.verdict()).append('\n');
    for (LabelPair p : labels.pairs()) {
      b.append("  ").append(String.join(" vs ", p.models())).append(": ").append(p.verdict());
      if (p.offset() != null) {
        b.append(" (offset ").append(p.offset()).append(')');
      }
      if (p.permutation() != null) {
        b.append(" permutation ").append(p.permutation());
      }
      b.append("\n    ").append(p.hint()).append('\n');
      for (String e : p.examples()) {
        b.append("    ").append(e).append('\n');
      }
    }
    for (int i = 0; i < labels.lint().size(); i++) {
      for (LabelFinding f : labels.lint().get(i).findings()) {
        b.append("  ")
            .append(labels.models().get(i))
            .append(" label file: ")
            .append(f.severity())
            .append(' ')
            .append(f.message())
            .append('\n');
      }
    }
  }

  private static String mean(ModelStats s) {
    String m = Numbers.format(s.mean());
    if (s.nanCount() > 0) {
      m += " (NaN x" + s.nanCount() + ")";
    }
    if (s.infCount() > 0) {
      m += " (Inf x" + s.infCount() + ")";
    }
    return m;
  }

  private static void appendTable(StringBuilder b, List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] w = new int[cols];
    for (String[] r : rows) {
      for (int c = 0; c < cols; c++) {
        w[c] = Math.max(w[c], r[c].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < cols; c++) {
        line.append(c == 0 ? "" : "  ").append(r[c]).append(" ".repeat(w[c] - r[c].length()));
      }
      b.append(line.toString().stripTrailing()).append('\n');
    }
  }
}
