package dev.portcheck.cli;

import dev.portcheck.comparator.Comparator;
import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.ComparisonReport;
import dev.portcheck.comparator.Verdict;
import dev.portcheck.comparator.labels.LabelFile;
import dev.portcheck.comparator.labels.LabelFiles;
import dev.portcheck.comparator.labels.LabelVerdict;
import dev.portcheck.comparator.maps.FeatureMapCapture;
import dev.portcheck.comparator.output.JsonRenderer;
import dev.portcheck.comparator.output.TextRenderer;
import dev.portcheck.importers.api.PortcheckException;
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
 * {@code portcheck compare A B [C]}: feeds identical probes to two or three models, walks the
 * aligned layers and reports the first one whose outputs part ways, with its cause.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    header = "Compares 2-3 models layer by layer and reports the first divergence.",
    description = {
      "Feeds identical inputs to two or three models (any mix of ONNX, TensorFlow and PyTorch),"
          + " aligns their layers and reports the first one whose outputs part ways, with its"
          + " cause: ATTRIBUTE (e.g. BatchNorm epsilon), WEIGHTS or ACTIVATION. The first model"
          + " is the reference (m0).",
      "",
      "With --labels (one file per model) it also checks that the same outputs carry the same"
          + " class names (sorted label files, a leading background class, permuted output"
          + " rows)."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the models match (and their labels agree)",
      "1:a divergence or a label problem was found",
      "2:could not compare (usage, unreadable, unsafe or unsupported input)"
    })
final class CompareCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin ProbeOptions probeOptions;
  @Mixin ReportOptions reportOptions;

  @Parameters(
      paramLabel = "MODEL",
      arity = "2..3",
      description = "Two or three model files or SavedModel folders; the first is the reference.")
  List<Path> models;

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
      description =
          "Tolerance for one layer, named as in any model (repeatable), e.g. "
              + "--layer-tolerance norm2=1e-3,1e-2.")
  List<String> layerTolerances = new ArrayList<>();

  @Option(
      names = "--labels",
      paramLabel = "FILE",
      description =
          "A label file per model, in model order (text: one name per line; JSON: a list or "
              + "{index: name}). Adds the label-mapping check.")
  List<Path> labels = new ArrayList<>();

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description = "Also write the report as JSON to FILE ('-' for standard output only).")
  String json;

  @Override
  public Integer call() {
    if (!labels.isEmpty() && labels.size() != models.size()) {
      throw PortcheckException.usage(
          "--labels was given "
              + labels.size()
              + " time(s) for "
              + models.size()
              + " models; give one label file per model, in the same order as the models.");
    }
    CompareOptions.Builder options = probeOptions.apply(CompareOptions.builder());
    options.tolerance(Options.tolerance(atol, rtol, "--atol/--rtol"));
    for (String lt : layerTolerances) {
      Options.layerTolerance(lt, options);
    }
    List<LabelFile> labelFiles = new ArrayList<>();
    for (Path p : labels) {
      labelFiles.add(LabelFiles.read(p));
    }
    options.labels(labelFiles);
    options.progress(new StderrProgress(spec.commandLine().getErr()));
    CompareOptions built = options.build();
    PrintWriter out = spec.commandLine().getOut();
    ComparisonReport report;
    try (OpenModels open = OpenModels.open(models)) {
      report = Comparator.compare(open.views(), built);
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
      // Feature maps need the models open: they re-run one probe with the diverging layer tapped.
      ComparisonReport r = report;
      reportOptions.write(
          report,
          () -> FeatureMapCapture.forComparison(open.views(), r, built),
          "portcheck compare",
          out,
          spec.commandLine().getErr(),
          "-".equals(json));
    }
    out.flush();
    boolean labelProblem =
        report.labels() != null && report.labels().verdict() != LabelVerdict.CONSISTENT;
    return report.verdict() == Verdict.MATCH && !labelProblem
        ? ExitCodes.MATCH
        : ExitCodes.DIFFERENCE;
  }
}
