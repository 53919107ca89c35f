package dev.portcheck.comparator.baseline;

import dev.portcheck.comparator.Comparator;
import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.ComparisonReport;
import dev.portcheck.comparator.Divergence;
import dev.portcheck.comparator.Probe;
import dev.portcheck.comparator.ProbeSpec;
import dev.portcheck.comparator.Probes;
import dev.portcheck.comparator.maps.FeatureMapCapture;
import dev.portcheck.comparator.maps.FeatureMaps;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a model against a baseline: a comparison whose reference ({@code m0}) is the baseline as a
 * recorded model, run on the baseline's probes. Attributes are compared as {@code compare} does;
 * parameters by checksum (identical, within the weight tolerance, rearranged, or changed);
 * activations by summary, each statistic and quantile held to the activation tolerance ({@code |Δ|
 * <= atol + rtol·|baseline|}); small outputs element by element.
 */
public final class BaselineChecker {
  private BaselineChecker() {}

  /**
   * Checks {@code live} against {@code baseline}.
   *
   * @param baseline the recorded behaviour
   * @param file where the baseline was read from (shown as {@code m0}'s path)
   * @param live the model to check; runnable
   * @param options tolerances and progress; probes, shapes and values come from the baseline
   * @throws PortcheckException NOT_RUNNABLE for a weights-only model, USAGE when the model takes
   *     other inputs than the baseline's, and whatever {@code run} throws
   */
  public static ComparisonReport check(
      Baseline baseline, Path file, ModelView live, CompareOptions options) {
    if (!live.runnable()) {
      throw PortcheckException.notRunnable(
          live.source(),
          "a check runs the model on the baseline's probes; check a runnable export (TorchScript,"
              + " ONNX, SavedModel), not a weights-only checkpoint");
    }
    RecordedModel recorded = new RecordedModel(baseline, file);
    return Comparator.compare(List.of(recorded, live), replaying(baseline, options));
  }

  /**
   * The inputs the check feeds {@code live} for the baseline's probe {@code probe}, in the model's
   * own layout (e.g. to capture feature maps on the same probe).
   */
  public static Map<String, Tensor> probeInputs(
      Baseline baseline, Path file, ModelView live, int probe) {
    RecordedModel recorded = new RecordedModel(baseline, file);
    CompareOptions options = replaying(baseline, CompareOptions.defaults());
    return Probes.prepare(List.of(recorded, live), options).inputs(probe, 1);
  }

  /**
   * The first diverging layer's maps in the checked model ({@code m1}) on the baseline's preferred
   * probe; a baseline keeps no activations, so there are none for {@code m0}.
   */
  public static List<FeatureMaps> featureMaps(
      Baseline baseline, Path file, ModelView live, ComparisonReport report) {
    Divergence d = report.firstDivergence();
    if (d == null || "output".equals(d.opType()) || d.names().get("m1") == null) {
      return List.of();
    }
    List<String> labels = baseline.probes().stream().map(Baseline.ProbeRecord::label).toList();
    int p = FeatureMapCapture.preferredProbe(labels);
    FeatureMaps f =
        FeatureMapCapture.capture(
            live, "m1", d.names().get("m1"), probeInputs(baseline, file, live, p), labels.get(p));
    return f == null ? List.of() : List.of(f);
  }

  /** {@code options} with the baseline's probes and integer input values instead of its own. */
  private static CompareOptions replaying(Baseline baseline, CompareOptions options) {
    List<Probe> probes = new ArrayList<>();
    Map<String, Long> values = new LinkedHashMap<>();
    for (Baseline.ProbeRecord p : baseline.probes()) {
      Map<String, ProbeSpec> byInput = new LinkedHashMap<>();
      for (Baseline.ProbeInput in : p.inputs()) {
        String position = Integer.toString(in.position());
        byInput.put(position, spec(in));
        if (in.spec().startsWith("value:")) {
          values.put(position, Long.parseLong(in.spec().substring("value:".length())));
        }
      }
      probes.add(new Probe(p.label(), ProbeSpec.ONES, byInput));
    }
    return new CompareOptions(
        probes,
        Map.of(),
        values,
        options.tolerance(),
        options.layerTolerances(),
        options.weightTolerance(),
        List.of(),
        List.of(),
        options.progress());
  }

  /** A recorded probe input as a spec to feed again; embedded samples are read from memory. */
  private static ProbeSpec spec(Baseline.ProbeInput in) {
    String s = in.spec();
    if (in.npy() != null) {
      return new ProbeSpec.NpyBytes(s.startsWith("npy:") ? s.substring(4) : s, in.npy());
    }
    if (s.equals("ones") || s.startsWith("value:")) {
      return ProbeSpec.ONES;
    }
    if (s.equals("zeros")) {
      return ProbeSpec.ZEROS;
    }
    if (s.startsWith("random:")) {
      return new ProbeSpec.Random(Long.parseLong(s.substring("random:".length())));
    }
    throw PortcheckException.usage(
        "the baseline's probe '" + s + "' cannot be replayed; re-create the baseline.");
  }
}
