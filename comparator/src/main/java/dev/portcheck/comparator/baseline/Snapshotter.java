package dev.portcheck.comparator.baseline;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.align.Checksum;
import dev.portcheck.comparator.measure.Sketch;
import dev.portcheck.comparator.probe.Probe;
import dev.portcheck.comparator.probe.ProbeSpec;
import dev.portcheck.comparator.probe.Probes;
import dev.portcheck.comparator.report.ProbeReport;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records a model's behaviour: runs it on the probes (one probe's activations held at a time, each
 * summarised as soon as it is produced), and checksums every parameter in the canonical layout.
 */
public final class Snapshotter {
  /**
   * Outputs up to this many elements are stored in full (a classifier's logits); larger ones as a
   * sketch.
   */
  public static final int FULL_OUTPUT_LIMIT = 4096;

  /** {@code .npy} probes up to this size are embedded, so that a check does not need the file. */
  static final long NPY_EMBED_LIMIT = 16L << 20;

  private Snapshotter() {}

  /**
   * Records {@code model}.
   *
   * @param model a runnable model
   * @param options the probes, shapes and integer values to use (tolerances are not recorded: the
   *     check chooses them)
   * @param portcheckVersion written into the baseline
   * @throws PortcheckException NOT_RUNNABLE for a weights-only checkpoint, and whatever {@code run}
   *     throws
   */
  public static Baseline snapshot(
      ModelView model, CompareOptions options, String portcheckVersion) {
    if (!model.runnable()) {
      throw PortcheckException.notRunnable(
          model.source(),
          "a baseline records what the model computes; snapshot a runnable export (TorchScript,"
              + " ONNX, SavedModel) instead of a weights-only checkpoint");
    }
    Probes probes = Probes.prepare(List.of(model), options);
    List<ProbeReport> reports = probes.reports();
    List<Layer> layers = model.layers();
    List<List<Sketch>> acts = new ArrayList<>();
    layers.forEach(l -> acts.add(new ArrayList<>()));
    List<Baseline.OutputRecord> outputs = new ArrayList<>();
    int total = probes.probeCount();
    for (int p = 0; p < total; p++) {
      String label = reports.get(p).label();
      options.progress().progress("probe " + label, p, total);
      try (RunResult res = model.runInPlace(probes.inputs(p, 0), TapSelection.ALL)) {
        for (int i = 0; i < layers.size(); i++) {
          Tensor t = res.layerOutputs().get(layers.get(i).name());
          if (t != null) {
            acts.get(i).add(Sketch.of(t));
          }
        }
        for (TensorInfo o : model.outputs()) {
          Tensor t = res.outputs().get(o.name());
          if (t != null) {
            outputs.add(
                new Baseline.OutputRecord(
                    o.name(),
                    label,
                    Sketch.of(t),
                    t.size() <= FULL_OUTPUT_LIMIT ? t.toFloatArray() : null));
          }
        }
      }
    }
    List<Baseline.LayerRecord> layerRecords = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      Layer l = layers.get(i);
      // A layer tapped on some probes only (a branch not taken) cannot be compared probe by probe.
      List<Sketch> a = acts.get(i).size() == total ? acts.get(i) : List.of();
      layerRecords.add(Baseline.LayerRecord.of(l, a));
    }
    return new Baseline(
        BaselineFormat.VERSION,
        portcheckVersion,
        Importers.engineVersions(),
        Instant.now().toString(),
        new Baseline.ModelRecord(
            String.valueOf(model.source()),
            model.framework(),
            model.metadata(),
            model.inputs(),
            model.outputs()),
        probeRecords(options, reports),
        layerRecords,
        checksums(model),
        outputs);
  }

  /** Checksums of every parameter, one parameter's values in memory at a time. */
  static Map<String, Baseline.ParameterRecord> checksums(ModelView model) {
    Map<String, Baseline.ParameterRecord> out = new LinkedHashMap<>();
    for (ParameterInfo info : model.parameters().values()) {
      out.put(info.name(), record(info, model.parameter(info.name())));
    }
    return out;
  }

  static Baseline.ParameterRecord record(ParameterInfo info, Tensor value) {
    return new Baseline.ParameterRecord(
        info.name(),
        info.dtype(),
        info.shape(),
        info.layout(),
        Checksum.ofParameter(value, info.layout()));
  }

  private static List<Baseline.ProbeRecord> probeRecords(
      CompareOptions options, List<ProbeReport> reports) {
    List<Baseline.ProbeRecord> out = new ArrayList<>();
    for (int p = 0; p < reports.size(); p++) {
      ProbeReport r = reports.get(p);
      Probe probe = options.probes().get(p);
      List<Baseline.ProbeInput> ins = new ArrayList<>();
      for (ProbeReport.Input in : r.inputs()) {
        String name = in.names().get("m0");
        ProbeSpec spec =
            probe
                .byInput()
                .getOrDefault(
                    name,
                    probe.byInput().getOrDefault(Integer.toString(in.position()), probe.spec()));
        byte[] npy = null;
        if (spec instanceof ProbeSpec.NpyFile f && in.spec().startsWith("npy:")) {
          npy = embed(f.path());
        } else if (spec instanceof ProbeSpec.NpyBytes b) {
          npy = b.npy();
        }
        ins.add(
            new Baseline.ProbeInput(
                in.position(),
                name,
                in.shape(),
                Layout.valueOf(in.layout()),
                DType.valueOf(in.dtype()),
                in.spec(),
                npy));
      }
      out.add(new Baseline.ProbeRecord(r.label(), ins));
    }
    return out;
  }

  private static byte[] embed(Path file) {
    try {
      if (Files.size(file) > NPY_EMBED_LIMIT) {
        throw PortcheckException.usage(
            file
                + " is larger than "
                + (NPY_EMBED_LIMIT >> 20)
                + " MiB; a baseline embeds its probes, so use a smaller sample (one item).");
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw PortcheckException.unreadable(file, e);
    }
  }
}
