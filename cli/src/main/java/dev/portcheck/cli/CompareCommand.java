package dev.portcheck.cli;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.ModelComparison;
import dev.portcheck.comparator.labels.LabelFile;
import dev.portcheck.comparator.labels.LabelFiles;
import dev.portcheck.comparator.labels.LabelLintReport;
import dev.portcheck.comparator.labels.LabelVerdict;
import dev.portcheck.comparator.maps.FeatureMapCapture;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.comparator.report.Verdict;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.PortcheckException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
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
          + " rows, a name missing or to spare at either end). Any label problem exits 1."
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
  @Mixin ToleranceOptions tolerances;
  @Mixin ReportOptions reportOptions;

  // Any count is parsed and the count checked in call(): with arity 2..3 picocli reports a fourth
  // model, or the value of an unknown option, as "requires at least 2 values".
  @Parameters(
      paramLabel = "MODEL",
      arity = "0..*",
      description = "Two or three model files or SavedModel folders; the first is the reference.")
  List<Path> models = new ArrayList<>();

  @Option(
      names = "--labels",
      paramLabel = "FILE",
      description =
          "A label file per model, in model order (text: one name per line; JSON: a list or "
              + "{index: name}). Adds the label-mapping check.")
  List<Path> labels = new ArrayList<>();

  @Override
  public Integer call() {
    if (models.size() < 2 || models.size() > 3) {
      throw new ParameterException(
          spec.commandLine(),
          "compare takes 2 or 3 models (got "
              + models.size()
              + (models.isEmpty()
                  ? ")"
                  : "): " + String.join(", ", models.stream().map(Path::toString).toList()))
              + (models.size() < 2
                  ? "; give the reference model first, then its port (and a second port)."
                  : "; compare the reference with at most two ports at a time."));
    }
    if (!labels.isEmpty() && labels.size() != models.size()) {
      throw PortcheckException.usage(
          "--labels was given "
              + labels.size()
              + " time(s) for "
              + models.size()
              + " models; give one label file per model, in the same order as the models.");
    }
    CompareOptions.Builder options = probeOptions.apply(CompareOptions.builder());
    tolerances.apply(options);
    List<LabelFile> labelFiles = new ArrayList<>();
    for (Path p : labels) {
      labelFiles.add(LabelFiles.read(p));
    }
    options.labels(labelFiles);
    options.progress(new StderrProgress(spec.commandLine().getErr()));
    CompareOptions built = options.build();
    PrintWriter out = spec.commandLine().getOut();
    ComparisonReport report;
    try (OpenModels open = OpenModels.open(models, common.memoryLimit())) {
      InputFit.requireSameInputs(open.views(), built);
      Map<String, List<String>> layers = new LinkedHashMap<>();
      for (int m = 0; m < open.views().size(); m++) {
        layers.put("m" + m, open.views().get(m).layers().stream().map(Layer::name).toList());
      }
      tolerances.requireKnownLayers(layers);
      report = ModelComparison.compare(open.views(), built);
      // Feature maps need the models open: they re-run one probe with the diverging layer tapped.
      ComparisonReport r = report;
      reportOptions.write(
          report,
          () -> FeatureMapCapture.forComparison(open.views(), r, built),
          "portcheck compare",
          out,
          spec.commandLine().getErr());
    }
    out.flush();
    // One rule for labels: any problem with them (a verdict other than CONSISTENT, or a label file
    // with errors such as blank names) is a difference; only an unreadable file stops the check.
    boolean labelProblem =
        report.labels() != null
            && (report.labels().verdict() != LabelVerdict.CONSISTENT
                || report.labels().lint().stream().anyMatch(LabelLintReport::hasErrors));
    return report.verdict() == Verdict.MATCH && !labelProblem
        ? ExitCodes.MATCH
        : ExitCodes.DIFFERENCE;
  }
}
