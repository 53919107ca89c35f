package dev.portcheck.comparator.report;

import dev.portcheck.comparator.labels.LabelReport;
import java.util.List;

/**
 * The result of {@link dev.portcheck.comparator.ModelComparison#compare}: immutable, layers in the
 * reference's graph order.
 *
 * @param verdict MATCH or DIVERGED
 * @param models the compared models, {@code m0} first
 * @param probes the probes fed, with layout conversions
 * @param firstDivergence the first diverging layer, or null
 * @param attributeMismatches every attribute that differs between aligned layers, in graph order
 * @param weightMismatches every parameter that differs between aligned layers, in graph order
 * @param layers every layer row, aligned or not
 * @param outputs each non-reference model's outputs compared with the reference's
 * @param folds BatchNorms folded into a convolution by one of the models
 * @param notes what limited the comparison (e.g. a model that cannot be run), for people
 * @param labels the label-mapping check, or null when no label files were given
 */
public record ComparisonReport(
    Verdict verdict,
    List<ModelRef> models,
    List<ProbeReport> probes,
    Divergence firstDivergence,
    List<AttributeMismatch> attributeMismatches,
    List<WeightMismatch> weightMismatches,
    List<LayerComparison> layers,
    List<OutputComparison> outputs,
    List<FoldedLayer> folds,
    List<String> notes,
    LabelReport labels) {
  public ComparisonReport {
    models = List.copyOf(models);
    probes = List.copyOf(probes);
    attributeMismatches = List.copyOf(attributeMismatches);
    weightMismatches = List.copyOf(weightMismatches);
    layers = List.copyOf(layers);
    outputs = List.copyOf(outputs);
    folds = List.copyOf(folds);
    notes = List.copyOf(notes);
  }
}
