package dev.portcheck.cli;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.ComparisonReport;
import dev.portcheck.comparator.Verdict;
import dev.portcheck.comparator.baseline.Baseline;
import dev.portcheck.comparator.baseline.BaselineChecker;
import dev.portcheck.comparator.baseline.BaselineFormat;
import dev.portcheck.comparator.output.JsonRenderer;
import dev.portcheck.comparator.output.TextRenderer;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code portcheck check MODEL --baseline baseline.json}: re-runs the baseline's probes and reports
 * the first layer that changed, like {@code compare} with the baseline as the reference.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    header = "Checks a model against a baseline recorded by 'portcheck snapshot'.",
    description = {
      "Re-runs the baseline's probes on the model (any framework: a baseline of the PyTorch model"
          + " checks its ONNX export), aligns its layers with the recorded ones and reports the"
          + " first changed layer with its cause: ATTRIBUTE, WEIGHTS or ACTIVATION. The baseline"
          + " is m0, the model m1. Activations are compared by their recorded summaries."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the model matches the baseline",
      "1:a layer or output changed",
      "2:could not check (usage, unreadable input, not a baseline, old or newer baseline format)"
    })
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin ReportOptions reportOptions;

  @Parameters(paramLabel = "MODEL", description = "The model file or SavedModel folder to check.")
  Path model;

  @Option(
      names = "--baseline",
      required = true,
      paramLabel = "FILE",
      description = "The baseline written by 'portcheck snapshot'.")
  Path baselineFile;

  @Option(
      names = "--atol",
      paramLabel = "ATOL",
      description = "Absolute tolerance for activations (default: ${DEFAULT-VALUE}).")
  double atol = 1e-4;

  @Option(
      names = "--rtol",
      paramLabel = "RTOL",
      description = "Relative tolerance for activations (default: ${DEFAULT-VALUE}).")
  double rtol = 1e-3;

  @Option(
      names = "--layer-tolerance",
      paramLabel = "LAYER=ATOL[,RTOL]",
      description = "Tolerance for one layer, named as in the baseline or the model (repeatable).")
  List<String> layerTolerances = new ArrayList<>();

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description = "Also write the report as JSON to FILE ('-' for standard output only).")
  String json;

  @Override
  public Integer call() {
    // Read the baseline first: a wrong file is reported before a model is loaded.
    Baseline baseline = BaselineFormat.read(baselineFile);
    CompareOptions.Builder options = CompareOptions.builder();
    options.tolerance(Options.tolerance(atol, rtol, "--atol/--rtol"));
    for (String lt : layerTolerances) {
      Options.layerTolerance(lt, options);
    }
    options.progress(new StderrProgress(spec.commandLine().getErr()));
    CompareOptions built = options.build();
    PrintWriter out = spec.commandLine().getOut();
    ComparisonReport report;
    try (ModelView view = Importers.open(model)) {
      report = BaselineChecker.check(baseline, baselineFile, view, built);
      String jsonText = json == null ? null : new JsonRenderer().render(report);
      if ("-".equals(json)) {
        out.println(jsonText);
      } else {
        out.print(new TextRenderer().render(report));
        if (json != null) {
          Options.write(Path.of(json), jsonText);
          out.println("JSON report written to " + json);
        }
      }
      ComparisonReport r = report;
      reportOptions.write(
          report,
          () -> BaselineChecker.featureMaps(baseline, baselineFile, view, r),
          "portcheck check",
          out,
          spec.commandLine().getErr(),
          "-".equals(json));
    }
    out.flush();
    return report.verdict() == Verdict.MATCH ? ExitCodes.MATCH : ExitCodes.DIFFERENCE;
  }
}
