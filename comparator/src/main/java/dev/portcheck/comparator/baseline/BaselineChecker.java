package dev.portcheck.comparator.baseline;

import dev.portcheck.comparator.ActivationFinding;
import dev.portcheck.comparator.AlignedBy;
import dev.portcheck.comparator.AttributeMismatch;
import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.ComparisonParts;
import dev.portcheck.comparator.ComparisonReport;
import dev.portcheck.comparator.Divergence;
import dev.portcheck.comparator.Finding;
import dev.portcheck.comparator.LayerComparison;
import dev.portcheck.comparator.LayerMetrics;
import dev.portcheck.comparator.LayerStatus;
import dev.portcheck.comparator.ModelRef;
import dev.portcheck.comparator.ModelStats;
import dev.portcheck.comparator.OutputComparison;
import dev.portcheck.comparator.OutputFinding;
import dev.portcheck.comparator.PairMetrics;
import dev.portcheck.comparator.Probe;
import dev.portcheck.comparator.ProbeReport;
import dev.portcheck.comparator.ProbeSpec;
import dev.portcheck.comparator.Probes;
import dev.portcheck.comparator.Tolerance;
import dev.portcheck.comparator.Verdict;
import dev.portcheck.comparator.WeightFinding;
import dev.portcheck.comparator.WeightKind;
import dev.portcheck.comparator.WeightMismatch;
import dev.portcheck.comparator.maps.FeatureMapCapture;
import dev.portcheck.comparator.maps.FeatureMaps;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks a model against a baseline and reports like a comparison: the baseline is the reference
 * {@code m0}, the model {@code m1}. Attributes are compared as {@code compare} does; parameters by
 * checksum (identical, within the weight tolerance, rearranged, or changed); activations by
 * summary, each statistic and quantile held to the activation tolerance ({@code |Δ| <= atol +
 * rtol·|baseline|}); small outputs element by element. The first layer outside tolerance with
 * nothing outside upstream of it is the first divergence, with the same causes and sentences.
 */
public final class BaselineChecker {
  private final Baseline baseline;
  private final RecordedModel recorded;
  private final ModelView live;
  private final CompareOptions options;
  private final List<ModelRef> refs;
  private final Map<String, Checksum> liveChecksums = new HashMap<>();

  private BaselineChecker(Baseline baseline, Path file, ModelView live, CompareOptions options) {
    this.baseline = baseline;
    this.recorded = new RecordedModel(baseline, file);
    this.live = live;
    this.options = options;
    this.refs =
        List.of(
            new ModelRef("m0", String.valueOf(file), baseline.model().framework()),
            new ModelRef("m1", String.valueOf(live.source()), live.framework()));
  }

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
    return new BaselineChecker(baseline, file, live, options).run();
  }

  /**
   * The inputs the check feeds {@code live} for the baseline's probe {@code probe}, in the model's
   * own layout (e.g. to capture feature maps on the same probe).
   */
  public static Map<String, Tensor> probeInputs(
      Baseline baseline, Path file, ModelView live, int probe) {
    BaselineChecker c = new BaselineChecker(baseline, file, live, CompareOptions.defaults());
    List<Path> temp = new ArrayList<>();
    try {
      List<Probe> probes = c.probes(temp);
      return Probes.prepare(List.of(c.recorded, live), c.probeOptions(probes)).inputs(probe, 1);
    } finally {
      deleteAll(temp);
    }
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

  private static void deleteAll(List<Path> temp) {
    for (Path f : temp) {
      try {
        Files.deleteIfExists(f);
      } catch (IOException e) {
        // A leftover temp file in the system folder is harmless; the check's result stands.
      }
    }
  }

  /** One row: a baseline layer and/or a live layer. */
  private static final class Row {
    Baseline.LayerRecord base;
    int baseIndex = -1;
    Layer live;
    AlignedBy by;
    final List<AttributeMismatch> attrs = new ArrayList<>();
    final List<WeightMismatch> weights = new ArrayList<>();
    final List<Sketch> liveSketches = new ArrayList<>();
    LayerMetrics metrics;

    /** The baseline BatchNorm the model folded into this row's conv: its output stands for it. */
    Baseline.LayerRecord folded;

    boolean foldedAway;
    boolean outside;
    String note;
  }

  private ComparisonReport run() {
    List<Layer> baseLayers = recorded.layers();
    List<Layer> liveLayers = live.layers();
    BaselineAligner.Result al =
        new BaselineAligner(
                baseLayers,
                liveLayers,
                n -> {
                  Baseline.ParameterRecord p = baseline.parameters().get(n);
                  return p == null ? null : p.checksum();
                },
                this::liveChecksum)
            .align();
    List<Row> rows = rows(liveLayers, al);
    findFolds(rows, liveLayers);
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
            + "; activations are compared by summary (mean, std, min, max, quantiles), outputs"
            + " of up to "
            + Snapshotter.FULL_OUTPUT_LIMIT
            + " elements element by element.");
    engineNote(notes);
    boolean sameFramework = baseline.model().framework() == live.framework();
    for (Row r : rows) {
      if (r.base != null && r.live != null) {
        compareAttributes(r, sameFramework);
        if (r.folded == null) {
          compareWeights(r);
        }
      }
    }
    List<OutputComparison> outputs = new ArrayList<>();
    List<ProbeReport> probeReports = runProbes(rows, outputs);
    return assemble(rows, probeReports, outputs, notes);
  }

  /**
   * A baseline conv whose BatchNorm has no counterpart, aligned with a model conv that no BatchNorm
   * follows: the exporter folded the BatchNorm into the conv (tf2onnx, ONNX constant folding), so
   * the conv's output is compared with the BatchNorm's, and its weights, which absorbed the
   * BatchNorm, are not compared.
   */
  private void findFolds(List<Row> rows, List<Layer> liveLayers) {
    Map<String, Row> rowOfBase = new HashMap<>();
    for (Row r : rows) {
      if (r.base != null) {
        rowOfBase.put(r.base.name(), r);
      }
    }
    for (Row r : rows) {
      if (r.base == null || r.live == null || r.base.kind() != OpKind.CONV) {
        continue;
      }
      Baseline.LayerRecord bn = consumer(baseline.layers(), r.base.outputs());
      Row bnRow = bn == null ? null : rowOfBase.get(bn.name());
      if (bn == null || bn.kind() != OpKind.BATCH_NORM || bnRow.live != null) {
        continue;
      }
      Layer next = liveConsumer(liveLayers, r.live.outputs());
      if (next != null && next.kind().isNormalization()) {
        continue;
      }
      r.folded = bn;
      bnRow.foldedAway = true;
      bnRow.note = "folded into '" + r.live.name() + "' in m1";
      r.note =
          join(
              r.note,
              "m1 folds the BatchNorm into this conv; compared with m0's '"
                  + bn.name()
                  + "' output, weights not compared");
    }
  }

  private static Baseline.LayerRecord consumer(
      List<Baseline.LayerRecord> layers, List<String> outputs) {
    boolean graphKnown = layers.stream().anyMatch(l -> !l.inputs().isEmpty());
    for (int i = 0; i < layers.size(); i++) {
      Baseline.LayerRecord l = layers.get(i);
      if (!graphKnown) {
        // TorchScript modules record no tensor names: the next module in order consumes it.
        if (!outputs.isEmpty() && l.outputs().equals(outputs) && i + 1 < layers.size()) {
          return layers.get(i + 1);
        }
      } else if (!outputs.isEmpty() && l.inputs().contains(outputs.get(0))) {
        return l;
      }
    }
    return null;
  }

  private static Layer liveConsumer(List<Layer> layers, List<String> outputs) {
    for (Layer l : layers) {
      if (!outputs.isEmpty() && l.inputs().contains(outputs.get(0))) {
        return l;
      }
    }
    return null;
  }

  private Checksum liveChecksum(String name) {
    if (!liveChecksums.containsKey(name)) {
      ParameterInfo info = live.parameters().get(name);
      liveChecksums.put(
          name, info == null ? null : Snapshotter.record(info, live.parameter(name)).checksum());
    }
    return liveChecksums.get(name);
  }

  private void engineNote(List<String> notes) {
    Map<String, String> now = EngineVersions.detect();
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
  }

  /** Rows in the baseline's order; live layers without a counterpart after their predecessor. */
  private List<Row> rows(List<Layer> liveLayers, BaselineAligner.Result al) {
    List<Row> rows = new ArrayList<>();
    boolean[] used = new boolean[liveLayers.size()];
    for (int i = 0; i < baseline.layers().size(); i++) {
      Row r = new Row();
      r.base = baseline.layers().get(i);
      r.baseIndex = i;
      int j = al.match()[i];
      if (j >= 0) {
        r.live = liveLayers.get(j);
        r.by = al.by()[i];
        used[j] = true;
      }
      rows.add(r);
    }
    Map<Layer, Integer> liveIndex = new java.util.IdentityHashMap<>();
    for (int j = 0; j < liveLayers.size(); j++) {
      liveIndex.put(liveLayers.get(j), j);
    }
    int pos = 0;
    for (int j = 0; j < liveLayers.size(); j++) {
      if (used[j]) {
        continue;
      }
      for (int k = pos; k < rows.size(); k++) {
        Layer l = rows.get(k).live;
        if (l != null && liveIndex.get(l) < j) {
          pos = k + 1;
        }
      }
      Row r = new Row();
      r.live = liveLayers.get(j);
      rows.add(pos, r);
      pos++;
    }
    return rows;
  }

  private void compareAttributes(Row r, boolean sameFramework) {
    for (String attr : ComparisonParts.comparedAttributes()) {
      // Pads are spelt per framework (SAME vs explicit, ZeroPadding2D layers); compare looks at
      // neighbouring layers to normalise them, which a baseline cannot, so only like with like.
      if (attr.equals("pads") && !sameFramework) {
        continue;
      }
      AttributeValue x = normalised(r.base.attributes().get(attr), attr, r.base.layout());
      AttributeValue y = normalised(r.live.attributes().get(attr), attr, r.live.layout());
      if (x == null || y == null || ComparisonParts.sameAttribute(attr, x, y)) {
        continue;
      }
      Map<String, String> names = new LinkedHashMap<>();
      names.put("m0", r.base.name());
      names.put("m1", r.live.name());
      Map<String, AttributeValue> values = new LinkedHashMap<>();
      values.put("m0", x);
      values.put("m1", y);
      r.attrs.add(new AttributeMismatch(names, attr, values, null));
    }
  }

  private static AttributeValue normalised(AttributeValue v, String attr, Layout layout) {
    if (v == null) {
      return null;
    }
    if (Set.of("strides", "dilations", "kernel_shape").contains(attr)
        && v instanceof AttributeValue.Ints ints) {
      return AttributeValue.ints(ComparisonParts.spatial(ints.values(), layout));
    }
    if (v instanceof AttributeValue.Str s) {
      String w = s.value().toLowerCase(Locale.ROOT);
      switch (w) {
        case "bilinear":
          return AttributeValue.of("linear");
        case "nearest_neighbor":
          return AttributeValue.of("nearest");
        case "none":
        case "identity":
          return AttributeValue.of("linear");
        default:
          return AttributeValue.of(w);
      }
    }
    return v;
  }

  private void compareWeights(Row r) {
    Map<String, String> rb = ComparisonParts.parameterRoles(recordedLayer(r));
    Map<String, String> rl = ComparisonParts.parameterRoles(r.live);
    Tolerance wt = options.weightTolerance();
    for (Map.Entry<String, String> e : rb.entrySet()) {
      String liveName = rl.get(e.getKey());
      Baseline.ParameterRecord bp = baseline.parameters().get(e.getValue());
      if (liveName == null || bp == null) {
        continue;
      }
      Checksum x = bp.checksum();
      Checksum y = liveChecksum(liveName);
      if (y == null || x.identical(y) || x.close(y, wt.atol(), wt.rtol())) {
        continue;
      }
      WeightKind kind;
      if (!x.shape().equals(y.shape())) {
        kind = WeightKind.SHAPE_DIFFERS;
      } else if (x.hwSwapOf(y, wt.atol(), wt.rtol())) {
        kind = WeightKind.HW_SLIP;
      } else if (x.sameValuesAnyOrder(y)) {
        kind = WeightKind.REORDERED;
      } else {
        kind = WeightKind.VALUES_DIFFER;
      }
      Map<String, String> names = new LinkedHashMap<>();
      names.put("m0", r.base.name());
      names.put("m1", r.live.name());
      Map<String, String> params = new LinkedHashMap<>();
      params.put("m0", e.getValue());
      params.put("m1", liveName);
      r.weights.add(
          new WeightMismatch(
              names,
              e.getKey(),
              params,
              "m1",
              kind,
              Double.NaN,
              x.shape(),
              y.shape(),
              new WeightMismatch.Digests(
                  x.sha256(), y.sha256(), Math.sqrt(x.l2()), Math.sqrt(y.l2()))));
    }
  }

  private Layer recordedLayer(Row r) {
    return recorded.layers().get(r.baseIndex);
  }

  /** The baseline's probes, as {@link Probe}s a comparison feeds. */
  private List<Probe> probes(List<Path> temp) {
    List<Probe> out = new ArrayList<>();
    for (Baseline.ProbeRecord p : baseline.probes()) {
      Map<String, ProbeSpec> byInput = new LinkedHashMap<>();
      for (Baseline.ProbeInput in : p.inputs()) {
        byInput.put(Integer.toString(in.position()), spec(in, temp));
      }
      out.add(new Probe(p.label(), ProbeSpec.ONES, byInput));
    }
    return out;
  }

  private static ProbeSpec spec(Baseline.ProbeInput in, List<Path> temp) {
    String s = in.spec();
    if (in.npy() != null) {
      try {
        Path f = Files.createTempFile("portcheck-probe", ".npy");
        temp.add(f);
        Files.write(f, in.npy());
        return new ProbeSpec.NpyFile(f);
      } catch (IOException e) {
        throw PortcheckException.usage("cannot write a temporary probe file: " + e.getMessage());
      }
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

  private CompareOptions probeOptions(List<Probe> probes) {
    Map<String, Long> values = new LinkedHashMap<>();
    for (Baseline.ProbeRecord p : baseline.probes()) {
      for (Baseline.ProbeInput in : p.inputs()) {
        if (in.spec().startsWith("value:")) {
          values.put(
              Integer.toString(in.position()),
              Long.parseLong(in.spec().substring("value:".length())));
        }
      }
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

  /** Runs the model on each probe, tapping aligned layers only, and compares as it goes. */
  private List<ProbeReport> runProbes(List<Row> rows, List<OutputComparison> outputs) {
    List<Path> temp = new ArrayList<>();
    try {
      List<Probe> probeList = probes(temp);
      CompareOptions po = probeOptions(probeList);
      List<ModelView> both = List.of(recorded, live);
      Probes probes = Probes.prepare(both, po);
      Set<String> taps = new HashSet<>();
      for (Row r : rows) {
        if (r.base != null && r.live != null && !recordedActivations(r).isEmpty()) {
          taps.add(r.live.name());
        }
      }
      List<TensorInfo> liveOuts = live.outputs();
      List<TensorInfo> baseOuts = baseline.model().outputs();
      Map<Integer, List<PairMetrics>> outMetrics = new LinkedHashMap<>();
      int n = probes.probeCount();
      for (int p = 0; p < n; p++) {
        options.progress().progress("probe " + probeList.get(p).label() + " on m1", p, n);
        RunResult res = live.runInPlace(probes.inputs(p, 1), TapSelection.of(taps));
        for (Row r : rows) {
          if (r.live != null && taps.contains(r.live.name())) {
            Tensor t = res.layerOutputs().get(r.live.name());
            if (t != null) {
              r.liveSketches.add(Sketch.of(t));
            }
          }
        }
        String label = baseline.probes().get(p).label();
        for (int pos = 0; pos < liveOuts.size() && pos < baseOuts.size(); pos++) {
          Tensor t = res.outputs().get(liveOuts.get(pos).name());
          Baseline.OutputRecord rec = outputRecord(baseOuts.get(pos).name(), label);
          if (t == null || rec == null) {
            continue;
          }
          PairMetrics m = compareOutput(rec, baseOuts.get(pos), t, liveOuts.get(pos));
          outMetrics.computeIfAbsent(pos, k -> new ArrayList<>()).add(m);
        }
      }
      outMetrics.forEach(
          (pos, ms) ->
              outputs.add(
                  new OutputComparison(
                      "m1", liveOuts.get(pos).name(), baseOuts.get(pos).name(), worst(ms))));
      for (Row r : rows) {
        r.metrics = layerMetrics(r);
      }
      return probes.reports();
    } finally {
      deleteAll(temp);
    }
  }

  private Baseline.OutputRecord outputRecord(String name, String probe) {
    for (Baseline.OutputRecord r : baseline.outputs()) {
      if (r.name().equals(name) && r.probe().equals(probe)) {
        return r;
      }
    }
    return null;
  }

  private PairMetrics compareOutput(
      Baseline.OutputRecord rec, TensorInfo baseInfo, Tensor t, TensorInfo liveInfo) {
    Tolerance tol = options.tolerance();
    if (rec.values() != null && rec.values().length == t.size()) {
      long[] shape = rec.summary().shape().stream().mapToLong(Long::longValue).toArray();
      Tensor ref = Tensor.ofFloats(shape, rec.values());
      PairMetrics m =
          ComparisonParts.compareTensors(ref, baseInfo.layout(), t, liveInfo.layout(), tol);
      if (m != null && m.elementwise()) {
        return m;
      }
    }
    return sketchMetrics(List.of(rec.summary()), List.of(Sketch.of(t)), tol);
  }

  /** The worst of several probes' metrics. */
  private static PairMetrics worst(List<PairMetrics> ms) {
    PairMetrics w = ms.get(0);
    double maxAbs = 0;
    double maxRel = 0;
    double cos = 1;
    double frac = 0;
    long nan = 0;
    boolean within = true;
    boolean elementwise = true;
    for (PairMetrics m : ms) {
      maxAbs = Double.isNaN(m.maxAbsDiff()) ? Double.NaN : Math.max(maxAbs, m.maxAbsDiff());
      maxRel = Double.isNaN(m.maxRelDiff()) ? Double.NaN : Math.max(maxRel, m.maxRelDiff());
      cos = Double.isNaN(m.cosine()) ? Double.NaN : Math.min(cos, m.cosine());
      frac = Math.max(frac, m.fractionOutside());
      nan += m.nanMismatches();
      within &= m.withinTolerance();
      elementwise &= m.elementwise();
    }
    return new PairMetrics(w.comparedAs(), elementwise, maxAbs, maxRel, cos, frac, nan, within);
  }

  private LayerMetrics layerMetrics(Row r) {
    if (r.base == null || r.live == null) {
      return null;
    }
    Tolerance tol = toleranceFor(r);
    Map<String, ModelStats> stats = new LinkedHashMap<>();
    Map<String, PairMetrics> vs = new LinkedHashMap<>();
    List<Sketch> recordedActs = recordedActivations(r);
    if (!recordedActs.isEmpty()) {
      stats.put("m0", Sketch.combine(recordedActs));
    }
    if (!r.liveSketches.isEmpty()) {
      stats.put("m1", Sketch.combine(r.liveSketches));
    }
    if (r.liveSketches.size() == recordedActs.size() && !r.liveSketches.isEmpty()) {
      PairMetrics m = sketchMetrics(recordedActs, r.liveSketches, tol);
      if (m != null) {
        vs.put("m1", m);
      } else {
        r.note =
            join(
                r.note,
                "element counts differ from the baseline's ("
                    + r.liveSketches.get(0).shape()
                    + " vs "
                    + recordedActs.get(0).shape()
                    + "): not compared");
      }
    }
    return stats.isEmpty() && vs.isEmpty() ? null : new LayerMetrics(stats, vs, tol);
  }

  private static List<Sketch> recordedActivations(Row r) {
    return r.folded != null ? r.folded.activations() : r.base.activations();
  }

  private Tolerance toleranceFor(Row r) {
    List<String> names = new ArrayList<>();
    if (r.base != null) {
      names.add(r.base.name());
    }
    if (r.live != null) {
      names.add(r.live.name());
    }
    return options.toleranceFor(names);
  }

  /**
   * Compares summaries probe by probe. {@code maxAbsDiff} is the largest difference of any
   * statistic: for quantiles, a lower bound of the largest element-wise difference.
   */
  static PairMetrics sketchMetrics(List<Sketch> base, List<Sketch> live, Tolerance tol) {
    double maxAbs = 0;
    double maxRel = 0;
    long nan = 0;
    int checked = 0;
    int outside = 0;
    for (int p = 0; p < base.size(); p++) {
      Sketch x = base.get(p);
      Sketch y = live.get(p);
      if (x.count() != y.count()) {
        return null;
      }
      nan += Math.abs(x.nanCount() - y.nanCount()) + Math.abs(x.infCount() - y.infCount());
      List<double[]> pairs = new ArrayList<>();
      pairs.add(new double[] {x.mean(), y.mean()});
      pairs.add(new double[] {x.std(), y.std()});
      pairs.add(new double[] {x.min(), y.min()});
      pairs.add(new double[] {x.max(), y.max()});
      for (int q = 0; q < x.quantiles().size() && q < y.quantiles().size(); q++) {
        pairs.add(new double[] {x.quantiles().get(q), y.quantiles().get(q)});
      }
      for (double[] v : pairs) {
        checked++;
        if (Double.isNaN(v[0]) && Double.isNaN(v[1])) {
          continue;
        }
        double d = Math.abs(v[1] - v[0]);
        if (Double.isNaN(d)) {
          outside++;
          continue;
        }
        maxAbs = Math.max(maxAbs, d);
        maxRel = Math.max(maxRel, d / Math.max(Math.abs(v[0]), Math.max(tol.atol(), 1e-30)));
        if (!tol.close(v[1], v[0])) {
          outside++;
        }
      }
    }
    boolean within = outside == 0 && nan == 0;
    return new PairMetrics(
        "quantiles",
        false,
        maxAbs,
        maxRel,
        Double.NaN,
        checked == 0 ? 0 : (double) outside / checked,
        nan,
        within);
  }

  private ComparisonReport assemble(
      List<Row> rows,
      List<ProbeReport> probeReports,
      List<OutputComparison> outputs,
      List<String> notes) {
    for (Row r : rows) {
      boolean staticFinding = !r.attrs.isEmpty() || !r.weights.isEmpty();
      r.outside =
          r.base != null
              && r.live != null
              && (staticFinding || (r.metrics != null && !r.metrics.withinTolerance()));
    }
    Upstream up = new Upstream(baseline.layers());
    List<LayerComparison> layers = new ArrayList<>();
    Row first = null;
    List<Row> outsideRows = new ArrayList<>();
    for (Row r : rows) {
      LayerStatus status;
      if (r.foldedAway) {
        status = LayerStatus.FOLDED;
      } else if (r.base == null || r.live == null) {
        status = LayerStatus.UNALIGNED;
      } else if (r.outside && r.base.kind() == OpKind.CONTAINER) {
        // A container's output is its last child's: the child, not the container, is where a
        // divergence starts (TorchScript lists containers before their children).
        status = LayerStatus.DOWNSTREAM;
      } else if (r.outside) {
        boolean caused = false;
        for (Row o : outsideRows) {
          caused |= up.isUpstream(o.baseIndex, r.baseIndex);
        }
        status = caused ? LayerStatus.DOWNSTREAM : LayerStatus.DIVERGED;
        outsideRows.add(r);
      } else if (r.metrics == null || r.metrics.vsReference().isEmpty()) {
        status = LayerStatus.NOT_TAPPABLE;
      } else {
        status = LayerStatus.MATCH;
      }
      if (status == LayerStatus.DIVERGED && first == null) {
        first = r;
      }
      Map<String, String> names = names(r);
      Layer any = r.live != null ? r.live : recordedLayer(r);
      String opType = r.base != null ? r.base.opType() : r.live.opType();
      layers.add(new LayerComparison(names, opType, any.kind(), status, r.by, r.metrics, r.note));
    }
    Divergence div = first == null ? null : divergence(first);
    if (div == null) {
      for (OutputComparison o : outputs) {
        if (!o.metrics().withinTolerance()) {
          Map<String, String> names = new LinkedHashMap<>();
          names.put("m0", o.referenceName());
          names.put("m1", o.name());
          Finding f =
              new OutputFinding(
                  o.referenceName(),
                  "m1",
                  o.name(),
                  o.metrics(),
                  options.tolerance(),
                  true,
                  List.of(),
                  List.of());
          div = new Divergence(names, "output", f, null);
          break;
        }
      }
    }
    List<AttributeMismatch> attrs = new ArrayList<>();
    List<WeightMismatch> ws = new ArrayList<>();
    for (Row r : rows) {
      attrs.addAll(r.attrs);
      ws.addAll(r.weights);
    }
    long unaligned =
        rows.stream().filter(r -> !r.foldedAway && (r.base == null || r.live == null)).count();
    if (unaligned > 0) {
      notes.add(
          unaligned
              + " layer(s) have no counterpart between the baseline and the model (UNALIGNED):"
              + " they are listed but not compared.");
    }
    return new ComparisonReport(
        div == null ? Verdict.MATCH : Verdict.DIVERGED,
        refs,
        probeReports,
        div,
        attrs,
        ws,
        layers,
        outputs,
        List.of(),
        notes,
        null);
  }

  private static Map<String, String> names(Row r) {
    Map<String, String> names = new LinkedHashMap<>();
    if (r.base != null) {
      names.put("m0", r.base.name());
    }
    if (r.live != null) {
      names.put("m1", r.live.name());
    }
    return names;
  }

  private Divergence divergence(Row r) {
    Finding f;
    if (!r.attrs.isEmpty()) {
      AttributeMismatch m =
          r.attrs.stream()
              .filter(a -> a.attribute().equals("epsilon"))
              .findFirst()
              .orElse(r.attrs.get(0));
      f = ComparisonParts.attributeFinding(r.base.name(), r.base.kind(), m);
    } else if (!r.weights.isEmpty()) {
      f = new WeightFinding(r.base.name(), r.weights.get(0));
    } else {
      f =
          new ActivationFinding(
              r.base.name(), "m1", r.metrics.vsReference().get("m1"), r.metrics.tolerance());
    }
    return new Divergence(names(r), r.base.opType(), f, r.metrics);
  }

  private static String join(String a, String b) {
    return a == null ? b : a + "; " + b;
  }

  /** Which baseline layers feed which, from the recorded tensor names (graph order if none). */
  private static final class Upstream {
    private final BitSet[] ancestors;

    Upstream(List<Baseline.LayerRecord> layers) {
      Map<String, Integer> producer = new HashMap<>();
      for (int i = 0; i < layers.size(); i++) {
        for (String o : layers.get(i).outputs()) {
          producer.putIfAbsent(o, i);
        }
      }
      boolean known = layers.stream().anyMatch(l -> !l.inputs().isEmpty());
      if (!known) {
        ancestors = null;
        return;
      }
      ancestors = new BitSet[layers.size()];
      for (int i = 0; i < layers.size(); i++) {
        ancestors[i] = new BitSet();
        for (String in : layers.get(i).inputs()) {
          Integer p = producer.get(in);
          if (p != null && p < i) {
            ancestors[i].or(ancestors[p]);
            ancestors[i].set(p);
          }
        }
      }
    }

    boolean isUpstream(int earlier, int later) {
      return ancestors == null || earlier < later && ancestors[later].get(earlier);
    }
  }
}
