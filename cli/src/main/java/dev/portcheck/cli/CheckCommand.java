package dev.portcheck.cli;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.ComparisonReport;
import dev.portcheck.comparator.Verdict;
import dev.portcheck.comparator.baseline.Baseline;
import dev.portcheck.comparator.baseline.BaselineChecker;
import dev.portcheck.comparator.baseline.BaselineFormat;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  @Mixin ToleranceOptions tolerances;
  @Mixin ReportOptions reportOptions;

  @Parameters(paramLabel = "MODEL", description = "The model file or SavedModel folder to check.")
  Path model;

  @Option(
      names = "--baseline",
      required = true,
      paramLabel = "FILE",
      description = "The baseline written by 'portcheck snapshot'.")
  Path baselineFile;

  @Override
  public Integer call() {
    // Read the baseline first: a wrong file is reported before a model is loaded.
    Baseline baseline = BaselineFormat.read(baselineFile);
    CompareOptions.Builder options = CompareOptions.builder();
    tolerances.apply(options);
    options.progress(new StderrProgress(spec.commandLine().getErr()));
    CompareOptions built = options.build();
    PrintWriter out = spec.commandLine().getOut();
    ComparisonReport report;
    MemoryBudget.check(List.of(model), common.memoryLimit());
    try (ModelView view = Importers.open(model)) {
      InputFit.requireFit(baseline, baselineFile, view);
      Map<String, List<String>> layers = new LinkedHashMap<>();
      layers.put(
          "the baseline", baseline.layers().stream().map(Baseline.LayerRecord::name).toList());
      layers.put("the model", view.layers().stream().map(Layer::name).toList());
      tolerances.requireKnownLayers(layers);
      report = BaselineChecker.check(baseline, baselineFile, view, built);
      ComparisonReport r = report;
      reportOptions.write(
          report,
          () -> BaselineChecker.featureMaps(baseline, baselineFile, view, r),
          "portcheck check",
          out,
          spec.commandLine().getErr());
    }
    out.flush();
    return report.verdict() == Verdict.MATCH ? ExitCodes.MATCH : ExitCodes.DIFFERENCE;
  }
}
