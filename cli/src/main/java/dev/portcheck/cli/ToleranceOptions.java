package dev.portcheck.cli;

import dev.portcheck.comparator.CompareOptions;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --atol}, {@code --rtol} and {@code --layer-tolerance}, shared by compare and check. */
public final class ToleranceOptions {
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
          "Tolerance for one layer, named as in any model or the baseline (repeatable), e.g. "
              + "--layer-tolerance norm2=1e-3,1e-2.")
  List<String> layerTolerances = new ArrayList<>();

  /** Sets the global and per-layer tolerances on {@code b}. */
  CompareOptions.Builder apply(CompareOptions.Builder b) {
    b.tolerance(Options.tolerance(atol, rtol, "--atol/--rtol"));
    for (String lt : layerTolerances) {
      Options.layerTolerance(lt, b);
    }
    return b;
  }
}
