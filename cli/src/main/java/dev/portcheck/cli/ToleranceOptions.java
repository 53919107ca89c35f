package dev.portcheck.cli;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.Tolerance;
import dev.portcheck.importers.api.PortcheckException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
              + "--layer-tolerance norm2=1e-3,1e-2. A name no model has is an error.")
  List<OptionValues.LayerTolerance> layerTolerances = new ArrayList<>();

  /** Sets the global and per-layer tolerances on {@code b}. */
  CompareOptions.Builder apply(CompareOptions.Builder b) {
    b.tolerance(new Tolerance(atol, rtol));
    for (OptionValues.LayerTolerance lt : layerTolerances) {
      b.layerTolerance(lt.layer(), lt.tolerance());
    }
    return b;
  }

  /**
   * Refuses a {@code --layer-tolerance} for a layer that none of the models has, naming the closest
   * layer names: the comparison would otherwise keep the default tolerance for the layer the user
   * meant, silently.
   *
   * @param layersByModel each model's layer names, keyed by how the message names that model
   *     ({@code m0}, or {@code the baseline}), in model order
   * @throws PortcheckException USAGE for the first unknown layer
   */
  void requireKnownLayers(Map<String, List<String>> layersByModel) {
    if (layerTolerances.isEmpty()) {
      return;
    }
    Set<String> all = new LinkedHashSet<>();
    layersByModel.values().forEach(all::addAll);
    for (OptionValues.LayerTolerance lt : layerTolerances) {
      if (all.contains(lt.layer())) {
        continue;
      }
      List<String> models = List.copyOf(layersByModel.keySet());
      String where =
          models.size() == 1
              ? models.get(0)
              : String.join(", ", models.subList(0, models.size() - 1))
                  + " or "
                  + models.get(models.size() - 1);
      List<String> close = ClosestNames.closest(lt.layer(), all, 3);
      throw PortcheckException.usage(
          "--layer-tolerance: no layer '"
              + lt.layer()
              + "' in "
              + where
              + (close.isEmpty()
                  ? "; 'portcheck inspect MODEL' lists a model's layer names."
                  : "; did you mean '" + String.join("', '", close) + "'?"));
    }
  }
}
