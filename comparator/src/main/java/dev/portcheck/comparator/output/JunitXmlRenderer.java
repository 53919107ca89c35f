package dev.portcheck.comparator.output;

import dev.portcheck.comparator.labels.LabelVerdict;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.comparator.report.Divergence;
import dev.portcheck.comparator.report.LayerComparison;
import dev.portcheck.comparator.report.LayerStatus;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.comparator.report.Numbers;
import dev.portcheck.comparator.report.OutputComparison;
import dev.portcheck.comparator.report.PairMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * JUnit XML (the Ant/Surefire schema CI dashboards read): one test case per aligned layer, one per
 * compared output, and one for the label check when there was one. The first diverging layer fails
 * with the report's explanation and JUnit-shaped failure text; layers outside tolerance downstream
 * of it fail as {@code DOWNSTREAM}; layers no engine exposed are skipped. Unaligned and folded
 * layers are not test cases: nothing was compared for them.
 */
public final class JunitXmlRenderer {

  /**
   * The report as a JUnit XML document.
   *
   * @param suite the suite name, e.g. {@code portcheck compare} or {@code portcheck check}
   */
  public String render(ComparisonReport r, String suite) {
    String cls = "portcheck." + fileName(r.models().get(0).path());
    List<String> cases = new ArrayList<>();
    int failures = 0;
    int skipped = 0;
    Divergence d = r.firstDivergence();
    FindingText words = new FindingText(r.models());
    for (LayerComparison l : r.layers()) {
      if (l.names().size() < 2
          || l.status() == LayerStatus.UNALIGNED
          || l.status() == LayerStatus.FOLDED) {
        continue;
      }
      StringBuilder c = new StringBuilder();
      c.append("    <testcase classname=\"")
          .append(esc(cls))
          .append("\" name=\"")
          .append(esc(caseName(l.names(), l.opType())))
          .append("\" time=\"0\">");
      switch (l.status()) {
        case DIVERGED:
          failures++;
          boolean first = d != null && d.names().equals(l.names());
          String sentence = first ? words.sentence(d.finding()) : null;
          String message = first ? sentence : "outside tolerance: " + metrics(l);
          String body = first ? sentence + "\n" + words.failureText(d.finding()) : metrics(l);
          c.append("\n      <failure type=\"")
              .append(first ? d.cause().name() : "DIVERGED")
              .append("\" message=\"")
              .append(esc(message))
              .append("\">")
              .append(esc(body))
              .append("</failure>\n    ");
          break;
        case DOWNSTREAM:
          failures++;
          String down =
              "outside tolerance downstream of the first divergence"
                  + (d == null ? "" : " at '" + d.names().values().iterator().next() + "'")
                  + ": "
                  + metrics(l);
          c.append("\n      <failure type=\"DOWNSTREAM\" message=\"")
              .append(esc(down))
              .append("\">")
              .append(esc(down))
              .append("</failure>\n    ");
          break;
        case NOT_TAPPABLE:
          skipped++;
          c.append(
              "\n      <skipped message=\"an engine could not expose this layer's output\"/>\n    ");
          break;
        default:
          break;
      }
      c.append("</testcase>");
      cases.add(c.toString());
    }
    for (OutputComparison o : r.outputs()) {
      StringBuilder c = new StringBuilder();
      c.append("    <testcase classname=\"")
          .append(esc(cls))
          .append("\" name=\"")
          .append(esc("output " + o.referenceName() + " [" + o.modelId() + ": " + o.name() + "]"))
          .append("\" time=\"0\">");
      if (o.metrics().significant()) {
        failures++;
        String m = "output differs: " + pair(o.metrics());
        c.append("\n      <failure type=\"OUTPUT\" message=\"")
            .append(esc(m))
            .append("\">")
            .append(esc(m))
            .append("</failure>\n    ");
      }
      c.append("</testcase>");
      cases.add(c.toString());
    }
    if (r.labels() != null) {
      StringBuilder c = new StringBuilder();
      c.append("    <testcase classname=\"")
          .append(esc(cls))
          .append("\" name=\"labels\" time=\"0\">");
      if (r.labels().verdict() != LabelVerdict.CONSISTENT) {
        failures++;
        String m = "labels: " + r.labels().verdict();
        c.append("\n      <failure type=\"LABELS\" message=\"")
            .append(esc(m))
            .append("\">")
            .append(esc(m))
            .append("</failure>\n    ");
      }
      c.append("</testcase>");
      cases.add(c.toString());
    }
    StringBuilder b = new StringBuilder();
    b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    b.append("<testsuites name=\"portcheck\" tests=\"")
        .append(cases.size())
        .append("\" failures=\"")
        .append(failures)
        .append("\" errors=\"0\" skipped=\"")
        .append(skipped)
        .append("\">\n");
    b.append("  <testsuite name=\"")
        .append(esc(suite))
        .append("\" tests=\"")
        .append(cases.size())
        .append("\" failures=\"")
        .append(failures)
        .append("\" errors=\"0\" skipped=\"")
        .append(skipped)
        .append("\" time=\"0\">\n");
    b.append("    <properties>\n");
    for (ModelRef m : r.models()) {
      b.append("      <property name=\"")
          .append(esc(m.id()))
          .append("\" value=\"")
          .append(esc(m.framework().id() + " " + m.path()))
          .append("\"/>\n");
    }
    b.append("      <property name=\"verdict\" value=\"").append(r.verdict()).append("\"/>\n");
    b.append("    </properties>\n");
    cases.forEach(c -> b.append(c).append('\n'));
    b.append("  </testsuite>\n</testsuites>\n");
    return b.toString();
  }

  private static String caseName(Map<String, String> names, String opType) {
    StringBuilder s = new StringBuilder();
    String first = names.values().iterator().next();
    s.append(first).append(" (").append(opType).append(")");
    List<String> others = new ArrayList<>();
    names.forEach(
        (id, n) -> {
          if (!id.equals("m0") || !n.equals(first)) {
            others.add(id + ": " + n);
          }
        });
    if (!others.isEmpty()) {
      s.append(" [").append(String.join(", ", others)).append("]");
    }
    return s.toString();
  }

  private static String metrics(LayerComparison l) {
    if (l.metrics() == null) {
      return "attributes or weights differ";
    }
    List<String> parts = new ArrayList<>();
    l.metrics().vsReference().forEach((id, p) -> parts.add(id + " " + pair(p)));
    return parts.isEmpty() ? "attributes or weights differ" : String.join("; ", parts);
  }

  private static String pair(PairMetrics p) {
    return "max abs diff "
        + Numbers.format(p.maxAbsDiff())
        + (p.elementwise()
            ? ", cosine " + Numbers.format(p.cosine())
            : " (" + p.comparedAs() + ")");
  }

  private static String fileName(String path) {
    if (path == null) {
      return "model";
    }
    Path p = Path.of(path).getFileName();
    return p == null ? path : p.toString();
  }

  /** XML attribute and text escaping; control characters XML 1.0 forbids are dropped. */
  static String esc(String s) {
    return Markup.escape(s, true);
  }
}
