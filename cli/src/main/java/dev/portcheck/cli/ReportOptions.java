package dev.portcheck.cli;

import dev.portcheck.comparator.ComparisonReport;
import dev.portcheck.comparator.maps.FeatureMaps;
import dev.portcheck.comparator.output.HtmlRenderer;
import dev.portcheck.comparator.output.JsonRenderer;
import dev.portcheck.comparator.output.JunitXmlRenderer;
import dev.portcheck.comparator.output.TextRenderer;
import dev.portcheck.importers.api.PortcheckException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * How a comparison is reported: text (or {@code --json -}) on stdout, and {@code --json FILE},
 * {@code --html FILE}, {@code --junit FILE}; shared by compare and check.
 */
public final class ReportOptions {
  @Option(
      names = "--json",
      paramLabel = "FILE",
      description = "Also write the report as JSON to FILE ('-' for standard output only).")
  String json;

  @Option(
      names = "--html",
      paramLabel = "FILE",
      description =
          "Also write a self-contained HTML report: verdict, per-layer error plot, feature maps of"
              + " the first diverging layer, layer table.")
  Path html;

  @Option(
      names = "--junit",
      paramLabel = "FILE",
      description = "Also write JUnit XML, one test case per aligned layer, for CI dashboards.")
  Path junit;

  /**
   * Prints the report (text, or JSON alone for {@code --json -}) and writes the requested files;
   * feature maps are captured only for HTML, and a failure to capture them is reported on stderr
   * without failing the command.
   */
  void write(
      ComparisonReport report,
      Supplier<List<FeatureMaps>> maps,
      String suite,
      PrintWriter out,
      PrintWriter err) {
    // With --json - stdout is the JSON alone: no text, no "written to" lines.
    boolean quiet = "-".equals(json);
    if (!quiet) {
      out.print(new TextRenderer().render(report));
      if (json != null) {
        Options.write(Path.of(json), new JsonRenderer().render(report));
        out.println("JSON report written to " + json);
      }
    }
    if (html != null) {
      List<FeatureMaps> m = List.of();
      if (report.firstDivergence() != null) {
        try {
          m = maps.get();
        } catch (PortcheckException e) {
          err.println("portcheck: no feature maps in the HTML report: " + e.getMessage());
        }
      }
      Options.write(html, new HtmlRenderer().render(report, m));
      if (!quiet) {
        out.println("HTML report written to " + html);
      }
    }
    if (junit != null) {
      Options.write(junit, new JunitXmlRenderer().render(report, suite));
      if (!quiet) {
        out.println("JUnit XML written to " + junit);
      }
    }
    // Last, so that a file that cannot be written leaves stdout holding the JSON error object
    // alone rather than a report followed by an error.
    if (quiet) {
      out.println(new JsonRenderer().render(report));
    }
  }
}
