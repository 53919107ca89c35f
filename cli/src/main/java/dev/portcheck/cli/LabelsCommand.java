package dev.portcheck.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.labels.LabelFile;
import dev.portcheck.comparator.labels.LabelFiles;
import dev.portcheck.comparator.labels.LabelFinding;
import dev.portcheck.comparator.labels.LabelLint;
import dev.portcheck.comparator.labels.LabelLintReport;
import dev.portcheck.comparator.probe.Probes;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
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

/** {@code portcheck labels MODEL --labels FILE}: one model's label file checked on its own. */
@Command(
    name = "labels",
    mixinStandardHelpOptions = true,
    header = "Checks one model's label file against the model.",
    description = {
      "Checks a label file against the model's output size and for duplicates, blank lines,"
          + " alphabetical order (the 'sorted class folders' mistake) and a leading background"
          + " entry. To check label files across models, use compare --labels."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:no errors (warnings are printed)",
      "1:the label file has errors (e.g. wrong count, blank names)",
      "2:could not check (usage, unreadable model or label file)"
    })
final class LabelsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin ProbeOptions probeOptions;

  @Parameters(index = "0", paramLabel = "MODEL", description = "Model file or SavedModel folder.")
  Path model;

  @Option(
      names = "--labels",
      required = true,
      paramLabel = "FILE",
      description = "Label file: one name per line, or JSON (a list or {index: name}).")
  Path labels;

  @Option(names = "--json", description = "Print JSON instead of text.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    LabelFile file = LabelFiles.read(labels);
    int outputs;
    try (ModelView view = Importers.open(model)) {
      outputs = classCount(view);
    }
    LabelLintReport report = LabelLint.lint(file, outputs);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("schemaVersion", 1);
      m.put("model", model.toString());
      m.put("verdict", report.hasErrors() ? "ERRORS" : "OK");
      m.putAll(report.toMap());
      out.println(
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
    } else {
      out.printf("model   %s (%d outputs)%n", model, outputs);
      out.printf("labels  %s (%d names)%n", labels, file.size());
      for (LabelFinding f : report.findings()) {
        out.printf("  %-7s %s%n", f.severity(), f.message());
      }
      out.println(report.hasErrors() ? "verdict: ERRORS" : "verdict: OK");
    }
    out.flush();
    return report.hasErrors() ? ExitCodes.DIFFERENCE : ExitCodes.MATCH;
  }

  /** The size of the first output's last axis: declared, or seen by running one probe. */
  private int classCount(ModelView view) {
    if (view.outputs().isEmpty()) {
      throw PortcheckException.usage(view.source() + " declares no outputs to name.");
    }
    TensorInfo out = view.outputs().get(0);
    List<Long> shape = out.shape();
    if (shape != null && !shape.isEmpty() && shape.get(shape.size() - 1) > 0) {
      return Math.toIntExact(shape.get(shape.size() - 1));
    }
    if (!view.runnable()) {
      throw PortcheckException.usage(
          view.source()
              + " does not declare its output size and cannot be run; check the label file"
              + " against a runnable export (TorchScript, ONNX, SavedModel).");
    }
    CompareOptions options = probeOptions.apply(CompareOptions.builder()).build();
    Probes probes = Probes.prepare(List.of(view), options);
    Tensor t;
    try (RunResult res = view.run(probes.inputs(0, 0), TapSelection.NONE)) {
      t = res.outputs().get(out.name());
    }
    long[] s = t.shape();
    return Math.toIntExact(s.length == 0 ? 1 : s[s.length - 1]);
  }
}
