package dev.portcheck.comparator.baseline;

import dev.portcheck.comparator.Recording;
import dev.portcheck.comparator.align.Checksum;
import dev.portcheck.comparator.measure.Sketch;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.LayoutConvention;
import dev.portcheck.importers.api.ModelDescription;
import dev.portcheck.importers.api.ModelImporter;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A baseline seen as a recorded model: its layers, declared parameters and, as inputs, the recorded
 * probe shapes and layouts, so that a comparison aligns it and converts the probes for a model in
 * another layout exactly as {@code compare} would; as a {@link Recording}, its parameter checksums
 * and activation summaries stand for values and tensors.
 */
final class RecordedModel implements ModelView, Recording {
  private final Baseline baseline;
  private final Path file;
  private final List<Layer> layers = new ArrayList<>();
  private final List<TensorInfo> inputs = new ArrayList<>();
  private final Map<String, ParameterInfo> parameters = new LinkedHashMap<>();
  private final Map<String, List<Sketch>> activations = new HashMap<>();
  private final Map<String, Baseline.OutputRecord> outputs = new HashMap<>();
  private final ModelDescription description;

  RecordedModel(Baseline baseline, Path file) {
    this.baseline = baseline;
    this.file = file;
    for (Baseline.OutputRecord o : baseline.outputs()) {
      outputs.putIfAbsent(o.name() + "\n" + o.probe(), o);
    }
    for (Baseline.LayerRecord l : baseline.layers()) {
      activations.putIfAbsent(l.name(), l.activations());
      layers.add(l.toLayer());
    }
    List<TensorInfo> declared = baseline.model().inputs();
    Baseline.ProbeRecord first = baseline.probes().isEmpty() ? null : baseline.probes().get(0);
    for (int i = 0; i < declared.size(); i++) {
      TensorInfo d = declared.get(i);
      Baseline.ProbeInput fed = null;
      if (first != null) {
        for (Baseline.ProbeInput in : first.inputs()) {
          if (in.position() == i) {
            fed = in;
          }
        }
      }
      // The shape and layout fed at recording time: the check must feed the same values.
      inputs.add(
          fed == null
              ? d
              : new TensorInfo(
                  d.name(),
                  fed.dtype() == DType.OTHER ? d.dtype() : fed.dtype(),
                  fed.shape().isEmpty() ? d.shape() : fed.shape(),
                  fed.layout() == Layout.UNSPECIFIED ? d.layout() : fed.layout()));
    }
    baseline
        .parameters()
        .values()
        .forEach(
            p ->
                parameters.put(
                    p.name(), new ParameterInfo(p.name(), p.dtype(), p.shape(), p.layout())));
    // The recorded framework's conventions come from its importer, when it is on the class path
    // (as it is wherever the other models can be opened).
    Framework framework = baseline.model().framework();
    Optional<ModelImporter> importer = Importers.forFramework(framework);
    this.description =
        new ModelDescription(
            framework,
            file,
            baseline.model().metadata(),
            inputs,
            baseline.model().outputs(),
            layers,
            parameters,
            importer.map(ModelImporter::layoutConvention).orElse(LayoutConvention.NONE),
            importer.map(ModelImporter::declaresInputTypes).orElse(true),
            importer.map(i -> ModelDescription.rolesOf(i, layers)).orElse(Map.of()));
  }

  @Override
  public ModelDescription description() {
    return description;
  }

  @Override
  public Checksum parameterChecksum(String parameter) {
    Baseline.ParameterRecord p = baseline.parameters().get(parameter);
    return p == null ? null : p.checksum();
  }

  @Override
  public List<Sketch> activations(String layer) {
    return activations.getOrDefault(layer, List.of());
  }

  @Override
  public Sketch outputSummary(String output, int probe) {
    Baseline.OutputRecord r = output(output, probe);
    return r == null ? null : r.summary();
  }

  @Override
  public float[] outputValues(String output, int probe) {
    Baseline.OutputRecord r = output(output, probe);
    return r == null ? null : r.values();
  }

  private Baseline.OutputRecord output(String name, int probe) {
    if (probe >= baseline.probes().size()) {
      return null;
    }
    return outputs.get(name + "\n" + baseline.probes().get(probe).label());
  }

  @Override
  public List<String> notes() {
    List<String> notes = new ArrayList<>();
    notes.add(
        "m0 is the baseline of "
            + baseline.model().path()
            + " ("
            + baseline.model().framework().id()
            + "), recorded "
            + baseline.created()
            + " by portcheck "
            + baseline.portcheckVersion()
            + "; activations are compared by summary (mean, std, min, max, quantiles), which has"
            + " no cosine (shown as -), outputs of up to "
            + Snapshotter.FULL_OUTPUT_LIMIT
            + " elements element by element.");
    Map<String, String> now = Importers.engineVersions();
    List<String> changed = new ArrayList<>();
    baseline
        .engines()
        .forEach(
            (k, v) -> {
              String n = now.get(k);
              if (n != null && !n.equals(v)) {
                changed.add(k + " " + v + " -> " + n);
              }
            });
    if (!changed.isEmpty()) {
      notes.add(
          "engine versions changed since the baseline ("
              + String.join(", ", changed)
              + "): small numeric drift may come from the engine, not the model.");
    }
    return notes;
  }

  @Override
  public Tensor parameter(String name) {
    throw PortcheckException.of(
        PortcheckException.Reason.NOT_FOUND,
        file + " keeps checksums of parameter '" + name + "', not its values.",
        null);
  }

  @Override
  public boolean runnable() {
    return false;
  }

  @Override
  public RunResult run(Map<String, Tensor> inputs, TapSelection taps) {
    throw PortcheckException.notRunnable(file, "a baseline holds summaries, it cannot be run");
  }

  @Override
  public void close() {}
}
