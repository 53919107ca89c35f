package dev.portcheck.cli;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.Tolerance;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --atol}, {@code --rtol} and {@code --layer-tolerance}, shared by compare and check. */
public final class ToleranceOptions {
  @Option(
      names = "--atol",
      paramLabel = "ATOL",
      converter = OptionValues.NonNegative.class,
      description = "Absolute tolerance for activations (default: ${DEFAULT-VALUE}).")
  double atol = 1e-4;

  @Option(
      names = "--rtol",
      paramLabel = "RTOL",
      converter = OptionValues.NonNegative.class,
      description = "Relative tolerance for activations (default: ${DEFAULT-VALUE}).")
  double rtol = 1e-3;

  @Option(
      names = "--layer-tolerance",
      paramLabel = "LAYER=ATOL[,RTOL]",
      converter = OptionValues.LayerTolerance.Converter.class,
      description =
          "Tolerance for one layer, named as in any model or the baseline (repeatable), e.g. "
              + "--layer-tolerance norm2=1e-3,1e-2.")
  List<OptionValues.LayerTolerance> layerTolerances = new ArrayList<>();

  /** Sets the global and per-layer tolerances on {@code b}. */
  CompareOptions.Builder apply(CompareOptions.Builder b) {
    b.tolerance(new Tolerance(atol, rtol));
    for (OptionValues.LayerTolerance lt : layerTolerances) {
      b.layerTolerance(lt.layer(), lt.tolerance());
    }
    return b;
  }
}
