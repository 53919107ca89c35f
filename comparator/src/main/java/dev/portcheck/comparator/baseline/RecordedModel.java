package dev.portcheck.comparator.baseline;

import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A baseline seen as a model that cannot run: its layers, declared parameters and, as inputs, the
 * recorded probe shapes and layouts, so that the probe machinery of a comparison converts the
 * probes for a model in another layout exactly as {@code compare} would.
 */
final class RecordedModel implements ModelView {
  private final Baseline baseline;
  private final Path file;
  private final List<Layer> layers = new ArrayList<>();
  private final List<TensorInfo> inputs = new ArrayList<>();
  private final Map<String, ParameterInfo> parameters = new LinkedHashMap<>();

  RecordedModel(Baseline baseline, Path file) {
    this.baseline = baseline;
    this.file = file;
    for (Baseline.LayerRecord l : baseline.layers()) {
      layers.add(
          new Layer(
              l.name(),
              l.opType(),
              l.kind(),
              l.inputs(),
              l.outputs(),
              l.attributes(),
              l.parameters(),
              l.layout(),
              l.parent(),
              l.tappable()));
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
  }

  Baseline baseline() {
    return baseline;
  }

  @Override
  public Framework framework() {
    return baseline.model().framework();
  }

  @Override
  public Path source() {
    return file;
  }

  @Override
  public Map<String, String> metadata() {
    return baseline.model().metadata();
  }

  @Override
  public List<TensorInfo> inputs() {
    return List.copyOf(inputs);
  }

  @Override
  public List<TensorInfo> outputs() {
    return baseline.model().outputs();
  }

  @Override
  public List<Layer> layers() {
    return List.copyOf(layers);
  }

  @Override
  public Map<String, ParameterInfo> parameters() {
    return parameters;
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
