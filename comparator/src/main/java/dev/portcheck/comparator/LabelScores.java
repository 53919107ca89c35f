package dev.portcheck.comparator;

import dev.portcheck.comparator.labels.LabelChecker;
import dev.portcheck.comparator.labels.LabelReport;
import dev.portcheck.comparator.labels.ScoredModel;
import dev.portcheck.comparator.probe.Probes;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Collects each model's class scores (its first output, one row per batch element) over the
 * comparison's probes and the extra label probes, then runs the {@link LabelChecker}.
 */
final class LabelScores {
  private final List<ModelView> models;
  private final CompareOptions options;
  private final List<List<float[]>> rows = new ArrayList<>();
  private final List<String> probeNames = new ArrayList<>();

  LabelScores(List<ModelView> models, CompareOptions options) {
    this.models = models;
    this.options = options;
    for (ModelView m : models) {
      if (!m.runnable()) {
        throw PortcheckException.usage(
            "the label check needs every model's outputs, but "
                + m.source()
                + " cannot be run (a weights-only checkpoint?); compare runnable exports"
                + " (TorchScript, ONNX, SavedModel) when you pass --labels.");
      }
      rows.add(new ArrayList<>());
    }
  }

  /** Records the outputs of one probe run by every model (detached: kept past their runs). */
  void add(String probe, List<Map<String, Tensor>> results) {
    int before = rows.get(0).size();
    for (int m = 0; m < results.size(); m++) {
      String name = models.get(m).outputs().get(0).name();
      Tensor t = results.get(m).get(name);
      if (t == null) {
        throw PortcheckException.of(
            PortcheckException.Reason.ENGINE,
            models.get(m).source() + " returned no value for its output '" + name + "'.",
            null);
      }
      // A classifier's output is [batch, classes]; every batch row is one scored sample.
      long[] shape = t.shape();
      int classes = shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
      float[] all = t.toFloatArray();
      for (int off = 0; off + classes <= all.length; off += classes) {
        float[] row = new float[classes];
        System.arraycopy(all, off, row, 0, classes);
        rows.get(m).add(row);
      }
    }
    int added = rows.get(0).size() - before;
    for (int i = 0; i < added; i++) {
      probeNames.add(added == 1 ? probe : probe + "[" + i + "]");
    }
  }

  /** Runs the extra label probes (outputs only) and judges the label files. */
  LabelReport check() {
    Probes extra = Probes.prepare(models, options, options.labelProbes());
    for (int p = 0; p < extra.probeCount(); p++) {
      List<Map<String, Tensor>> res = new ArrayList<>();
      for (int m = 0; m < models.size(); m++) {
        try (RunResult r = models.get(m).run(extra.inputs(p, m), TapSelection.NONE)) {
          res.add(r.detachedOutputs());
        }
      }
      add(options.labelProbes().get(p).label(), res);
    }
    List<ScoredModel> scored = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      scored.add(
          new ScoredModel(
              ModelRef.idOf(m), rows.get(m).toArray(new float[0][]), options.labels().get(m)));
    }
    return new LabelChecker().check(scored, probeNames, false);
  }
}
