package dev.portcheck.cli;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.baseline.Baseline;
import dev.portcheck.comparator.baseline.BaselineFormat;
import dev.portcheck.comparator.baseline.Snapshotter;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code portcheck snapshot MODEL -o baseline.json}: records what a model computes on fixed probes,
 * for {@code portcheck check} to compare a later export against.
 */
@Command(
    name = "snapshot",
    mixinStandardHelpOptions = true,
    header = "Records a model's behaviour on fixed probes as a baseline file.",
    description = {
      "Runs the model on the probes (default: all ones, then random:0) and writes a versioned"
          + " JSON baseline: per-layer activation summaries (mean, std, min, max, quantiles),"
          + " outputs (in full when small), attributes, parameter checksums, and the portcheck and"
          + " engine versions. Check a model against it with 'portcheck check'."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the baseline was written", "2:could not record (usage, unreadable input)"})
final class SnapshotCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin ProbeOptions probeOptions;

  @Parameters(paramLabel = "MODEL", description = "The model file or SavedModel folder.")
  Path model;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "FILE",
      description = "Where to write the baseline (JSON).")
  Path output;

  @Override
  public Integer call() throws Exception {
    CompareOptions options =
        probeOptions
            .apply(CompareOptions.builder())
            .progress(new StderrProgress(spec.commandLine().getErr()))
            .build();
    long start = System.nanoTime();
    Baseline b;
    MemoryBudget.check(List.of(model), common.memoryLimit());
    try (ModelView view = Importers.open(model)) {
      b =
          Snapshotter.snapshot(
              view, options, new VersionProvider().getVersion()[0].replace("portcheck ", ""));
    }
    BaselineFormat.write(b, output);
    long layers = b.layers().stream().filter(l -> !l.activations().isEmpty()).count();
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        "baseline of "
            + model
            + " ("
            + b.model().framework().id()
            + ") written to "
            + output
            + ": "
            + b.probes().size()
            + " probe(s), "
            + layers
            + " of "
            + b.layers().size()
            + " layers summarised, "
            + b.parameters().size()
            + " parameter checksums, "
            + Files.size(output)
            + " bytes in "
            + (System.nanoTime() - start) / 1_000_000
            + " ms");
    out.flush();
    return ExitCodes.MATCH;
  }
}
