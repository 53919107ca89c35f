package dev.portcheck.comparator;

import dev.portcheck.comparator.align.Aligner;
import dev.portcheck.comparator.align.Fold;
import dev.portcheck.comparator.align.Weights;
import dev.portcheck.comparator.labels.LabelReport;
import dev.portcheck.comparator.measure.ActivationDiff;
import dev.portcheck.comparator.measure.AttributeComparer;
import dev.portcheck.comparator.measure.ElementwiseDiff;
import dev.portcheck.comparator.measure.Kernels;
import dev.portcheck.comparator.measure.KindComparer;
import dev.portcheck.comparator.measure.Significance;
import dev.portcheck.comparator.measure.Sketch;
import dev.portcheck.comparator.measure.Summary;
import dev.portcheck.comparator.measure.SummaryDiff;
import dev.portcheck.comparator.measure.WeightComparer;
import dev.portcheck.comparator.probe.Probes;
import dev.portcheck.comparator.report.ActivationFinding;
import dev.portcheck.comparator.report.AlignedBy;
import dev.portcheck.comparator.report.AttributeFinding;
import dev.portcheck.comparator.report.AttributeMismatch;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.comparator.report.Divergence;
import dev.portcheck.comparator.report.Finding;
import dev.portcheck.comparator.report.FoldedLayer;
import dev.portcheck.comparator.report.LayerComparison;
import dev.portcheck.comparator.report.LayerMetrics;
import dev.portcheck.comparator.report.LayerStatus;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.comparator.report.ModelStats;
import dev.portcheck.comparator.report.Numbers;
import dev.portcheck.comparator.report.OutputComparison;
import dev.portcheck.comparator.report.OutputFinding;
import dev.portcheck.comparator.report.PairMetrics;
import dev.portcheck.comparator.report.ProbeReport;
import dev.portcheck.comparator.report.Tolerance;
import dev.portcheck.comparator.report.Verdict;
import dev.portcheck.comparator.report.WeightFinding;
import dev.portcheck.comparator.report.WeightMismatch;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Compares two or three models: aligns their layers, feeds identical probes, summarises each
 * aligned layer's activations as soon as a probe has run (only one probe's activations are held at
 * a time), checks attributes and weights, and names the first layer where the models part ways.
 */
public final class ModelComparison {
  private final List<ModelView> models;
  private final CompareOptions options;
  private final Recording recording;
  private final List<Weights> weights;
  private final List<ModelRef> refs;
  private final List<Aligner.Row> rows;
  private final List<List<AttributeMismatch>> rowAttrs = new ArrayList<>();
  private final List<List<WeightMismatch>> rowWeights = new ArrayList<>();
  private final List<Map<String, Layer>> byName = new ArrayList<>();
  // Per model, layers whose weight matrix another layer of the same model also holds (tied).
  private final List<Map<String, List<String>>> tied = new ArrayList<>();

  /** Per model, why the engine could not expose a requested layer (first reason seen). */
  private final List<Map<String, String>> untappedReasons = new ArrayList<>();

  private ModelComparison(List<ModelView> models, CompareOptions options) {
    this.models = List.copyOf(models);
    this.options = options;
    this.recording = Recording.of(models.get(0));
    for (int m = 1; m < models.size(); m++) {
      if (Recording.of(models.get(m)) != null) {
        throw new IllegalArgumentException("only the reference (m0) can be a recording");
      }
    }
    long t0 = System.nanoTime();
    this.weights =
        this.models.stream()
            .map(
                m ->
                    Recording.of(m) == null
                        ? new Weights(m)
                        : new Weights(m, Recording.of(m)::parameterChecksum))
            .toList();
    List<ModelRef> r = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      ModelView v = models.get(m);
      r.add(new ModelRef(ModelRef.idOf(m), String.valueOf(v.source()), v.framework()));
      Map<String, Layer> names = new HashMap<>();
      v.layers().forEach(l -> names.putIfAbsent(l.name(), l));
      byName.add(names);
      untappedReasons.add(new HashMap<>());
    }
    this.refs = List.copyOf(r);
    this.weights.parallelStream().forEach(Weights::prefetch);
    this.rows = Aligner.align(weights).rows();
    options.progress().phase(ProgressListener.Phase.ALIGN, System.nanoTime() - t0);
  }

  /**
   * Compares {@code models}; the first is the reference ({@code m0}). The reference may be a {@link
   * Recording} (a baseline): it is then compared from its checksums and summaries, and the other
   * models are run on the probes it was recorded with.
   *
   * @throws PortcheckException USAGE for fewer than two models or unresolvable probe shapes, and
   *     whatever the models' {@code run} throws (engine failures are not divergences)
   */
  public static ComparisonReport compare(List<ModelView> models, CompareOptions options) {
    if (models.size() < 2) {
      throw PortcheckException.usage(
          "give at least two models to compare (got " + models.size() + ").");
    }
    return new ModelComparison(models, options).run();
  }

  /** A layer of another kind first (no option matters then), then epsilon, the usual port bug. */
  private static final java.util.Comparator<AttributeMismatch> ATTRIBUTE_ORDER =
      java.util.Comparator.comparing(
          a ->
              a.attribute().equals("pooling") || a.attribute().equals("activation")
                  ? 0
                  : a.attribute().equals("epsilon") ? 1 : 2);

  private ComparisonReport run() {
    long start = System.nanoTime();
    AttributeComparer ac = new AttributeComparer(weights);
    WeightComparer wc = new WeightComparer(weights, options.weightTolerance());
    // Rows whose attributes depend on an input size only a run measures (TF SAME, stride > 1).
    Map<Integer, Map<Integer, Layer>> sized = new LinkedHashMap<>();
    for (Aligner.Row row : rows) {
      Map<Integer, Layer> dependent = ac.sizeDependent(row);
      if (!dependent.isEmpty()) {
        sized.put(rowAttrs.size(), dependent);
      }
      List<AttributeMismatch> attrs = new ArrayList<>(ac.compare(row));
      if (placed(row)) {
        // Paired by place although their kinds differ: the kind is the finding, before any option.
        attrs.addAll(0, KindComparer.compare(row));
      }
      List<WeightMismatch> ws = new ArrayList<>(wc.compare(row));
      for (Fold f : row.folds()) {
        wc.compareFold(row, f, attrs, ws);
      }
      // Epsilon first: it is the usual port bug and the one the explanation should name.
      attrs.sort(ATTRIBUTE_ORDER);
      rowAttrs.add(attrs);
      rowWeights.add(ws);
    }
    weights.forEach(w -> tied.add(w.tiedWeights()));
    weights.forEach(Weights::release);
    options.progress().phase(ProgressListener.Phase.STATIC_CHECKS, System.nanoTime() - start);
    int n = models.size();
    int r = rows.size();
    Summary[][] sums = new Summary[r][n];
    ActivationDiff[][] pairs = new ActivationDiff[r][n];
    Tolerance[] tols = new Tolerance[r];
    List<String> notes = new ArrayList<>(recording == null ? List.of() : recording.notes());
    boolean runnable = true;
    for (int m = recording == null ? 0 : 1; m < models.size(); m++) {
      if (!models.get(m).runnable()) {
        runnable = false;
        notes.add(
            ModelRef.idOf(m)
                + " ("
                + models.get(m).source()
                + ") cannot be run (weights only): attributes and weights were compared, no"
                + " activations.");
      }
    }
    // A weights-only checkpoint has no graph to run: compare what is stored (names, attributes,
    // parameters) and say so, rather than refusing the comparison.
    Probes probes = runnable ? Probes.prepare(models, options) : null;
    List<ProbeReport> probeReports = runnable ? probes.reports() : List.of();
    boolean layoutsDiffer = probeReports.stream().anyMatch(p -> !p.conversions().isEmpty());
    for (int i = 0; i < r; i++) {
      Aligner.Row row = rows.get(i);
      List<String> names = new ArrayList<>();
      for (int m = 0; m < n; m++) {
        if (row.layer(m) != null) {
          names.add(row.layer(m).name());
        }
      }
      tols[i] = options.toleranceFor(names);
      for (int m = 0; m < n; m++) {
        sums[i][m] = new Summary();
        pairs[i][m] =
            recording != null
                ? new SummaryDiff(tols[i])
                : new ElementwiseDiff(tols[i], layoutsDiffer, true);
      }
    }
    List<List<ActivationDiff>> outs = new ArrayList<>();
    for (int m = 0; m < n; m++) {
      List<ActivationDiff> l = new ArrayList<>();
      for (int o = 0; o < models.get(m).outputs().size(); o++) {
        l.add(outputMeasure(o, layoutsDiffer));
      }
      outs.add(l);
    }
    if (!options.labels().isEmpty() && (options.labels().size() != n || recording != null)) {
      throw PortcheckException.usage(
          options.labels().size()
              + " label file(s) for "
              + n
              + " models; give one label file per model, in model order.");
    }
    LabelScores labelScores = options.labels().isEmpty() ? null : new LabelScores(models, options);
    ProgressListener listener = options.progress();
    long[] spent = new long[2]; // RUN, SUMMARISE
    List<TapSelection> taps = tapSelections(sized);
    for (int p = 0; runnable && p < probes.probeCount(); p++) {
      // Streaming: the reference's taps are held while each other model runs, is compared and is
      // dropped, so at most two models' activations for one probe are alive at a time. A recorded
      // reference does not run: its summaries stand for its taps.
      // The label check keeps each model's outputs past its run (copied out of engine buffers).
      List<Map<String, Tensor>> labelOutputs = new ArrayList<>();
      try (RunResult ref = recording == null ? run(0, p, probes, taps, spent) : null) {
        if (ref != null && p == 0) {
          measureInputSizes(ac, sized, 0, ref);
          long values = 0;
          for (Tensor t : ref.layerOutputs().values()) {
            values += t.size();
          }
          Kernels.expect(values * n * probes.probeCount());
        }
        long t0 = System.nanoTime();
        if (ref != null && labelScores != null) {
          labelOutputs.add(ref.detachedOutputs());
        }
        spent[1] += System.nanoTime() - t0;
        for (int k = 1; k < n; k++) {
          try (RunResult res = run(k, p, probes, taps, spent)) {
            if (p == 0) {
              measureInputSizes(ac, sized, k, res);
            }
            long t1 = System.nanoTime();
            int model = k;
            int probe = p;
            // Rows own their accumulators, so they are compared in parallel (memory-bound
            // passes). The reference is summarised in its comparison with m1 where that reads it
            // in stored order (one pass over both tensors), else on its own.
            IntStream.range(0, r)
                .parallel()
                .forEach(
                    i -> {
                      Aligner.Row row = rows.get(i);
                      Summary refSum =
                          model == 1 && ref != null && Objects.equals(row.refTap(1), row.tap(0))
                              ? sums[i][0]
                              : null;
                      ElementwiseDiff.Fused f =
                          pair(
                              row, model, probe, ref, res, pairs[i][model], sums[i][model], refSum);
                      if (f == ElementwiseDiff.Fused.NONE) {
                        summarise(row, model, res, sums[i][model]);
                      }
                      if (model == 1 && ref != null && f != ElementwiseDiff.Fused.BOTH) {
                        summarise(row, 0, ref, sums[i][0]);
                      }
                    });
            accumulateOutputs(k, p, ref, res, outs);
            if (labelScores != null) {
              labelOutputs.add(res.detachedOutputs());
            }
            spent[1] += System.nanoTime() - t1;
          }
        }
      }
      if (labelScores != null) {
        labelScores.add(options.probes().get(p).label(), labelOutputs);
      }
    }
    for (int i : sized.keySet()) {
      // Compared again with the measured sizes; epsilons inferred from folds are kept.
      List<AttributeMismatch> attrs = new ArrayList<>(ac.compare(rows.get(i)));
      if (placed(rows.get(i))) {
        attrs.addAll(0, KindComparer.compare(rows.get(i)));
      }
      rowAttrs.get(i).stream().filter(a -> a.inferredBy() != null).forEach(attrs::add);
      attrs.sort(ATTRIBUTE_ORDER);
      rowAttrs.set(i, attrs);
    }
    listener.phase(ProgressListener.Phase.RUN, spent[0]);
    listener.phase(ProgressListener.Phase.SUMMARISE, spent[1]);
    long t2 = System.nanoTime();
    ComparisonReport report =
        assemble(
            sums,
            pairs,
            tols,
            outs,
            probeReports,
            notes,
            labelScores == null ? null : labelScores.check());
    listener.phase(ProgressListener.Phase.ASSEMBLE, System.nanoTime() - t2);
    return report;
  }

  /**
   * How an output is compared: element by element, unless the reference is a recording that kept
   * only a summary of it (outputs larger than a baseline stores in full).
   */
  private ActivationDiff outputMeasure(int position, boolean layoutsDiffer) {
    if (recording != null && position < models.get(0).outputs().size()) {
      String name = models.get(0).outputs().get(position).name();
      if (recording.outputValues(name, 0) == null) {
        return new SummaryDiff(options.tolerance());
      }
    }
    return new ElementwiseDiff(options.tolerance(), layoutsDiffer);
  }

  /**
   * Per model, the layers whose outputs some row compares: tapping only those keeps engines from
   * copying out (and holding) every intermediate tensor of the graph (ResNet-50's onnx2tf export
   * has 184 layers, of which 73 pair with TorchScript's).
   */
  private List<TapSelection> tapSelections(Map<Integer, Map<Integer, Layer>> sized) {
    List<TapSelection> out = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      Set<String> names = new LinkedHashSet<>();
      for (Map<Integer, Layer> dependent : sized.values()) {
        if (dependent.containsKey(m)) {
          names.add(dependent.get(m).name());
        }
      }
      for (Aligner.Row row : rows) {
        // A layer alone in its row is compared with nothing: not tapped, so that the engines
        // expose (and copy, and hold) only what a comparison reads. A note in the report says so.
        if (row.tap(m) != null && row.compared() >= 2) {
          names.add(row.tap(m));
        }
        if (m == 0) {
          for (int k = 1; k < models.size(); k++) {
            if (row.refTap(k) != null) {
              names.add(row.refTap(k));
            }
          }
        }
      }
      out.add(TapSelection.of(names));
    }
    return out;
  }

  /** The input sizes of model {@code m}'s size-dependent layers, as its first run produced them. */
  private void measureInputSizes(
      AttributeComparer ac, Map<Integer, Map<Integer, Layer>> sized, int m, RunResult res) {
    for (Map.Entry<Integer, Map<Integer, Layer>> e : sized.entrySet()) {
      Layer producer = e.getValue().get(m);
      Tensor t = producer == null ? null : res.layerOutputs().get(producer.name());
      if (t != null) {
        ac.inputSize(m, rows.get(e.getKey()).layer(m), t.shape());
      }
    }
  }

  private RunResult run(int m, int p, Probes probes, List<TapSelection> taps, long[] spent) {
    int n = models.size();
    options
        .progress()
        .progress(
            "probe " + options.probes().get(p).label() + " on " + ModelRef.idOf(m),
            p * n + m,
            probes.probeCount() * n);
    long t0 = System.nanoTime();
    RunResult res = models.get(m).runInPlace(probes.inputs(p, m), taps.get(m));
    res.untappedReasons().forEach(untappedReasons.get(m)::putIfAbsent);
    spent[0] += System.nanoTime() - t0;
    return res;
  }

  private static void summarise(Aligner.Row row, int m, RunResult res, Summary sum) {
    Tensor t = row.tap(m) == null ? null : res.layerOutputs().get(row.tap(m));
    if (t != null) {
      sum.add(t);
    }
  }

  /**
   * Compares the row's tap of model {@code k} on probe {@code p} with the reference's (its tensor,
   * or its recorded summary when {@code ref} is null); returns which of the tap ({@code sum}) and
   * the reference's tensor ({@code refSum}, may be null) that pass also summarised, each read once
   * instead of twice.
   */
  private ElementwiseDiff.Fused pair(
      Aligner.Row row,
      int k,
      int p,
      RunResult ref,
      RunResult res,
      ActivationDiff pair,
      Summary sum,
      Summary refSum) {
    if ((row.layer(k) == null && !row.absent(k)) || row.refTap(k) == null || row.tap(k) == null) {
      return ElementwiseDiff.Fused.NONE;
    }
    Tensor b = res.layerOutputs().get(row.tap(k));
    if (b == null) {
      return ElementwiseDiff.Fused.NONE;
    }
    if (ref == null) {
      List<Sketch> recorded = recording.activations(row.refTap(k));
      if (p < recorded.size()) {
        ((SummaryDiff) pair).add(recorded.get(p), Sketch.of(b));
      }
      return ElementwiseDiff.Fused.NONE;
    }
    Tensor a = ref.layerOutputs().get(row.refTap(k));
    if (a == null) {
      return ElementwiseDiff.Fused.NONE;
    }
    return ((ElementwiseDiff) pair)
        .add(a, layout(0, row.refTap(k), a), b, layout(k, row.tap(k), b), sum, refSum);
  }

  /**
   * As the model's importer resolves it: TorchScript modules declare no layout, but every PyTorch
   * feature map is channels-first; without that a [1, 16, 16, 16] map would be read as is against
   * an NHWC one.
   */
  private Layout layout(int model, String layer, Tensor value) {
    return models.get(model).activationLayout(layer, value.rank());
  }

  private void accumulateOutputs(
      int k, int p, RunResult ref, RunResult res, List<List<ActivationDiff>> outs) {
    List<TensorInfo> refOut = models.get(0).outputs();
    List<TensorInfo> o = models.get(k).outputs();
    for (int pos = 0; pos < o.size() && pos < refOut.size(); pos++) {
      String refName = refOut.get(pos).name();
      Tensor b = res.outputs().get(o.get(pos).name());
      ActivationDiff acc = outs.get(k).get(pos);
      if (b == null) {
        continue;
      }
      if (acc instanceof SummaryDiff s) {
        Sketch recorded = recording.outputSummary(refName, p);
        if (recorded != null) {
          s.add(recorded, Sketch.of(b));
        }
        continue;
      }
      Tensor a = ref != null ? ref.outputs().get(refName) : recordedOutput(refName, p);
      if (a != null) {
        ((ElementwiseDiff) acc).add(a, refOut.get(pos).layout(), b, o.get(pos).layout());
      }
    }
  }

  private Tensor recordedOutput(String name, int probe) {
    float[] values = recording.outputValues(name, probe);
    Sketch summary = recording.outputSummary(name, probe);
    if (values == null || summary == null) {
      return null;
    }
    return Tensor.ofFloats(summary.shape().stream().mapToLong(Long::longValue).toArray(), values);
  }

  /** The reference's statistics in a row: of its tap, run or recorded. */
  private ModelStats referenceStats(Aligner.Row row, Summary sum) {
    if (recording == null) {
      return sum.isEmpty() ? null : sum.toStats();
    }
    List<Sketch> recorded = row.tap(0) == null ? List.of() : recording.activations(row.tap(0));
    return recorded.isEmpty() ? null : Sketch.combine(recorded);
  }

  /**
   * Whether a row is outside tolerance: an attribute or weight differs between its aligned layers
   * (a finding known without running, which a summary of the activations may not show: a
   * permutation keeps every statistic), or its activations differ significantly ({@link
   * Significance}).
   */
  private boolean outside(Aligner.Row row, LayerMetrics metrics, int i) {
    if (row.preset() != null || row.compared() < 2) {
      return false;
    }
    if (row.present() < 2) {
      // A layer one model lacks is a finding only where the outputs then differ: a ReLU on values
      // that are never negative changes nothing.
      return metrics != null
          && metrics.vsReference().values().stream().anyMatch(PairMetrics::significant);
    }
    boolean staticFinding = !rowAttrs.get(i).isEmpty() || !rowWeights.get(i).isEmpty();
    return staticFinding
        || (metrics != null
            && metrics.vsReference().values().stream().anyMatch(PairMetrics::significant));
  }

  /**
   * Which container rows (a subclassed Keras layer, a PyTorch module with submodules) a diverging
   * leaf row explains: one of its own children or a row upstream of it. Such a container is never
   * where a divergence starts; one that no leaf explains (its children were not compared) is.
   */
  private boolean[] explainedContainers(boolean[] outside, Upstream up) {
    boolean[] out = new boolean[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      if (!outside[i] || rows.get(i).first().kind() != OpKind.CONTAINER) {
        continue;
      }
      for (int j = 0; j < rows.size() && !out[i]; j++) {
        out[i] =
            j != i
                && outside[j]
                && rows.get(j).first().kind() != OpKind.CONTAINER
                && ((j < i && up.isUpstream(j, i)) || within(rows.get(j), rows.get(i)));
      }
    }
    return out;
  }

  /** Whether some model's layer in {@code child} sits inside that model's layer in {@code row}. */
  private boolean within(Aligner.Row child, Aligner.Row row) {
    for (int m = 0; m < row.modelCount(); m++) {
      Layer container = row.layer(m);
      Layer l = child.layer(m);
      for (int depth = 0; l != null && container != null && depth < 256; depth++) {
        if (container.name().equals(l.parent())) {
          return true;
        }
        l = l.parent() == null ? null : byName.get(m).get(l.parent());
      }
    }
    return false;
  }

  /**
   * Assesses every row's differences against its rounding budget, in graph order: a row's budget
   * grows with the relative drift of the aligned rows upstream of it that did not diverge.
   */
  private static void assessSignificance(LayerMetrics[] metrics, Upstream up) {
    int r = metrics.length;
    List<Map<String, Double>> drift = new ArrayList<>();
    for (int i = 0; i < r; i++) {
      Map<String, Double> own = new HashMap<>();
      drift.add(own);
      if (metrics[i] == null || metrics[i].vsReference().isEmpty()) {
        continue;
      }
      Map<String, PairMetrics> vs = new LinkedHashMap<>();
      for (Map.Entry<String, PairMetrics> e : metrics[i].vsReference().entrySet()) {
        String id = e.getKey();
        double upstream = 0;
        for (int j = 0; j < i; j++) {
          Double d = drift.get(j).get(id);
          if (d != null && d > upstream && up.isUpstream(j, i)) {
            upstream = d;
          }
        }
        PairMetrics p = e.getValue().withRoundingBudget(Significance.budget(upstream));
        vs.put(id, p);
        double scaled = p.scaledDiff();
        if (!p.significant() && Double.isFinite(scaled)) {
          own.put(id, scaled);
        }
      }
      metrics[i] = new LayerMetrics(metrics[i].stats(), vs, metrics[i].tolerance());
    }
  }

  /** The largest relative drift of model {@code id} over every row that did not diverge. */
  private static double largestDrift(LayerMetrics[] metrics, String id) {
    double most = 0;
    for (LayerMetrics m : metrics) {
      PairMetrics p = m == null ? null : m.vsReference().get(id);
      if (p != null && !p.significant() && Double.isFinite(p.scaledDiff())) {
        most = Math.max(most, p.scaledDiff());
      }
    }
    return most;
  }

  private ComparisonReport assemble(
      Summary[][] sums,
      ActivationDiff[][] pairs,
      Tolerance[] tols,
      List<List<ActivationDiff>> outs,
      List<ProbeReport> probeReports,
      List<String> notes,
      LabelReport labels) {
    int n = models.size();
    int r = rows.size();
    LayerMetrics[] metrics = new LayerMetrics[r];
    boolean[] outside = new boolean[r];
    for (int i = 0; i < r; i++) {
      Aligner.Row row = rows.get(i);
      Map<String, ModelStats> stats = new LinkedHashMap<>();
      Map<String, PairMetrics> vs = new LinkedHashMap<>();
      ModelStats refStats = referenceStats(row, sums[i][0]);
      if (refStats != null) {
        stats.put(ModelRef.idOf(0), refStats);
      }
      for (int m = 1; m < n; m++) {
        if (!sums[i][m].isEmpty()) {
          stats.put(ModelRef.idOf(m), sums[i][m].toStats());
        }
        if (!pairs[i][m].isEmpty()) {
          vs.put(ModelRef.idOf(m), pairs[i][m].toMetrics());
        }
      }
      metrics[i] = stats.isEmpty() && vs.isEmpty() ? null : new LayerMetrics(stats, vs, tols[i]);
    }
    Upstream up = new Upstream(models, rows);
    assessSignificance(metrics, up);
    for (int i = 0; i < r; i++) {
      outside[i] = outside(rows.get(i), metrics[i], i);
      if (outside[i] && rows.get(i).present() < 2) {
        KindComparer.absence(rows.get(i)).ifPresent(rowAttrs.get(i)::add);
      }
    }
    boolean[] explained = explainedContainers(outside, up);
    boolean staticOnly = probeReports.isEmpty();
    List<LayerComparison> layers = new ArrayList<>();
    int first = -1;
    for (int i = 0; i < r; i++) {
      Aligner.Row row = rows.get(i);
      LayerStatus status;
      if (row.preset() != null) {
        status = row.preset();
      } else if (outside[i] && explained[i]) {
        // A container's output is its last child's: the child, not the container, is where a
        // divergence starts (TorchScript lists containers before their children).
        status = LayerStatus.DOWNSTREAM;
        outside[i] = false;
      } else if (outside[i]) {
        boolean caused = false;
        for (int j = 0; j < i && !caused; j++) {
          caused = outside[j] && up.isUpstream(j, i);
        }
        status = caused ? LayerStatus.DOWNSTREAM : LayerStatus.DIVERGED;
      } else if (metrics[i] != null && !metrics[i].withinTolerance() && row.preset() == null) {
        // Outside the allclose rule by rounding only: downstream of a divergence it is part of
        // that divergence's trail, otherwise float32 drift.
        boolean caused = false;
        for (int j = 0; j < i && !caused; j++) {
          caused = outside[j] && up.isUpstream(j, i);
        }
        status = caused ? LayerStatus.DOWNSTREAM : LayerStatus.DRIFT;
      } else if (metrics[i] == null || metrics[i].vsReference().isEmpty()) {
        // With nothing run, an aligned row whose attributes and weights agree is a static match.
        status = staticOnly && row.present() > 1 ? LayerStatus.MATCH : LayerStatus.NOT_TAPPABLE;
      } else {
        status = LayerStatus.MATCH;
      }
      if (status == LayerStatus.DIVERGED && first < 0) {
        first = i;
      }
      layers.add(
          new LayerComparison(
              names(row),
              row.first().opType(),
              row.first().kind(),
              status,
              row.alignedBy(),
              metrics[i],
              withSizeNotes(
                  join(join(note(row), tiedNote(row)), whyNotCompared(i, status)), pairs[i])));
    }
    List<OutputComparison> outputs = new ArrayList<>();
    boolean outputsDiffer = false;
    for (int k = 1; k < n; k++) {
      List<TensorInfo> o = models.get(k).outputs();
      for (int pos = 0; pos < outs.get(k).size(); pos++) {
        ActivationDiff acc = outs.get(k).get(pos);
        if (acc.isEmpty()) {
          continue;
        }
        String id = ModelRef.idOf(k);
        PairMetrics pm =
            acc.toMetrics().withRoundingBudget(Significance.budget(largestDrift(metrics, id)));
        outputsDiffer |= pm.significant();
        outputs.add(
            new OutputComparison(
                ModelRef.idOf(k), o.get(pos).name(), models.get(0).outputs().get(pos).name(), pm));
      }
    }
    Divergence div = first >= 0 ? divergence(first, metrics[first], tols[first]) : null;
    if (div == null && outputsDiffer) {
      div = outputDivergence(outputs);
    }
    List<AttributeMismatch> attrs = new ArrayList<>();
    rowAttrs.forEach(attrs::addAll);
    List<WeightMismatch> ws = new ArrayList<>();
    rowWeights.forEach(ws::addAll);
    long unaligned = layers.stream().filter(l -> l.status() == LayerStatus.UNALIGNED).count();
    if (unaligned > 0 && recording != null) {
      notes.add(
          unaligned
              + " layer(s) have no counterpart between the baseline and the model (UNALIGNED):"
              + " they are listed but not compared.");
    } else if (unaligned > 0) {
      notes.add(
          unaligned
              + " layer(s) have no counterpart in the other model(s) (UNALIGNED): they are listed"
              + " but not compared, and not tapped (no statistics) unless another row reads the"
              + " same tensor.");
    }
    boolean diverged =
        div != null || layers.stream().anyMatch(l -> l.status() == LayerStatus.DIVERGED);
    return new ComparisonReport(
        diverged ? Verdict.DIVERGED : Verdict.MATCH,
        refs,
        probeReports,
        div,
        attrs,
        ws,
        layers,
        outputs,
        folds(),
        notes,
        labels);
  }

  private List<FoldedLayer> folds() {
    List<FoldedLayer> out = new ArrayList<>();
    for (Aligner.Row row : rows) {
      for (Fold f : row.folds()) {
        List<Layer> bl = models.get(f.bnModel()).layers();
        Layer bn = bl.get(f.bn());
        out.add(
            new FoldedLayer(
                ModelRef.idOf(f.bnModel()),
                bn.name(),
                bl.get(f.rawConv()).name(),
                ModelRef.idOf(f.foldedModel()),
                models.get(f.foldedModel()).layers().get(f.foldedConv()).name(),
                bn.epsilon().orElse(Double.NaN),
                Numbers.round(f.inferredEpsilon(), 3)));
      }
    }
    return out;
  }

  private static Map<String, String> names(Aligner.Row row) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int m = 0; m < row.modelCount(); m++) {
      if (row.layer(m) != null) {
        out.put(ModelRef.idOf(m), row.layer(m).name());
      }
    }
    return out;
  }

  private static String withSizeNotes(String note, ActivationDiff[] pairs) {
    for (int m = 1; m < pairs.length; m++) {
      String sizes = pairs[m].sizeMismatch();
      if (sizes != null) {
        String s =
            "m"
                + m
                + " not compared: the taps hold different shapes ("
                + sizes
                + "), e.g. a module called more than once, of which TorchScript records one call";
        note = note == null ? s : note + "; " + s;
      }
    }
    return note;
  }

  private static String join(String a, String b) {
    return a == null ? b : b == null ? a : a + "; " + b;
  }

  /**
   * Why a row is not compared, from the data: the engine's reason for a layer it could not expose,
   * the importer's note on a layer it cannot tap, and for an op without a counterpart in a
   * TorchScript model (which records module outputs only) the module it runs inside.
   */
  private String whyNotCompared(int i, LayerStatus status) {
    Aligner.Row row = rows.get(i);
    String note = null;
    if (status == LayerStatus.NOT_TAPPABLE || status == LayerStatus.UNALIGNED) {
      for (int m = 0; m < row.modelCount(); m++) {
        Layer l = row.layer(m);
        String reason = row.tap(m) == null ? null : untappedReasons.get(m).get(row.tap(m));
        if (reason == null && l != null && !l.tappable() && l.note() != null) {
          reason = l.note();
        }
        if (reason != null) {
          note = join(note, "m" + m + " '" + (l == null ? row.tap(m) : l.name()) + "': " + reason);
        }
      }
    }
    if (row.present() == 0
        || row.preset() == LayerStatus.FOLDED
        || row.first().kind() == OpKind.CONSTANT
        || (row.note() != null && row.note().startsWith("part of"))) {
      return note;
    }
    for (int t = 0; t < row.modelCount(); t++) {
      if (row.layer(t) != null || row.absent(t) || !modulesOnly(t)) {
        continue;
      }
      String module = enclosingModule(i, t);
      note =
          join(
              note,
              "no counterpart in m"
                  + t
                  + ": TorchScript records module outputs only"
                  + (module == null ? "" : "; this op runs inside m" + t + "'s '" + module + "'"));
    }
    return note;
  }

  /**
   * A model whose layers are modules recorded without the tensors between them (TorchScript): ops
   * of the other models inside a module have no row of their own there.
   */
  private boolean modulesOnly(int m) {
    ModelView v = models.get(m);
    return recording == null
        && v.runnable()
        && v.layers().stream().allMatch(l -> l.inputs().isEmpty());
  }

  /**
   * The innermost module of model {@code t} that holds both the nearest rows before and after row
   * {@code i} with a module of {@code t} (containers aside): the op runs in that module's forward.
   */
  private String enclosingModule(int i, int t) {
    Layer before = null;
    Layer after = null;
    for (int j = i - 1; j >= 0 && before == null; j--) {
      Layer l = rows.get(j).layer(t);
      before = l != null && l.kind() != OpKind.CONTAINER && rows.get(j).present() > 1 ? l : null;
    }
    for (int j = i + 1; j < rows.size() && after == null; j++) {
      Layer l = rows.get(j).layer(t);
      after = l != null && l.kind() != OpKind.CONTAINER && rows.get(j).present() > 1 ? l : null;
    }
    if (before == null || after == null) {
      return null;
    }
    Set<String> enclosing = new java.util.HashSet<>();
    for (Layer l = before; l != null && l.parent() != null; l = byName.get(t).get(l.parent())) {
      enclosing.add(l.parent());
    }
    for (Layer l = after; l != null && l.parent() != null; l = byName.get(t).get(l.parent())) {
      if (enclosing.contains(l.parent())) {
        return l.parent();
      }
    }
    return null;
  }

  private static String note(Aligner.Row row) {
    String note = row.note();
    for (Fold f : row.folds()) {
      String bnId = ModelRef.idOf(f.bnModel());
      String s =
          "m"
              + f.foldedModel()
              + " folds a BatchNorm into this conv; compared with "
              + bnId
              + "'s BatchNorm output"
              + (Double.isNaN(f.inferredEpsilon())
                  ? ", weights not compared (only checksums were recorded)"
                  : " (inferred epsilon " + Numbers.format(f.inferredEpsilon()) + ")");
      note = note == null ? s : note + "; " + s;
    }
    return note;
  }

  /**
   * Which models hold this layer's weight matrix in another layer too (tied input and output
   * embeddings): a port that unties them shows here and in the weight comparison of both rows.
   */
  private String tiedNote(Aligner.Row row) {
    String note = null;
    for (int m = 0; m < row.modelCount(); m++) {
      Layer l = row.layer(m);
      List<String> others = l == null ? null : tied.get(m).get(l.name());
      if (others != null) {
        note =
            join(
                note,
                ModelRef.idOf(m)
                    + " ties this weight to '"
                    + String.join("', '", others)
                    + "' (the same matrix)");
      }
    }
    return note;
  }

  private static boolean placed(Aligner.Row row) {
    for (int k = 1; k < row.modelCount(); k++) {
      if (row.evidence(k) == AlignedBy.PLACE && row.layer(k) != null) {
        return true;
      }
    }
    return false;
  }

  private String layerName(Aligner.Row row) {
    return row.layer(0) != null ? row.layer(0).name() : row.first().name();
  }

  private Divergence divergence(int i, LayerMetrics metrics, Tolerance tol) {
    Aligner.Row row = rows.get(i);
    String layer = layerName(row);
    Finding finding;
    if (!rowAttrs.get(i).isEmpty()) {
      finding = attributeFinding(layer, row.first().kind(), rowAttrs.get(i).get(0));
    } else if (!rowWeights.get(i).isEmpty()) {
      finding = new WeightFinding(layer, rowWeights.get(i).get(0));
    } else {
      Map.Entry<String, PairMetrics> worst =
          metrics.vsReference().entrySet().stream()
              .filter(e -> e.getValue().significant())
              .findFirst()
              .orElseThrow();
      finding = new ActivationFinding(layer, worst.getKey(), worst.getValue(), tol);
    }
    return new Divergence(names(row), row.first().opType(), finding, metrics);
  }

  /** The mismatch as a finding between its first value and the first value that differs. */
  static AttributeFinding attributeFinding(String layer, OpKind kind, AttributeMismatch m) {
    Map.Entry<String, AttributeValue> ref = m.values().entrySet().iterator().next();
    Map.Entry<String, AttributeValue> other = ref;
    for (Map.Entry<String, AttributeValue> e : m.values().entrySet()) {
      if (other == ref && !AttributeComparer.same(m.attribute(), ref.getValue(), e.getValue())) {
        other = e;
      }
    }
    return new AttributeFinding(
        layer,
        kind,
        ref.getKey(),
        other.getKey(),
        m.attribute(),
        ref.getValue(),
        other.getValue(),
        m.inferredBy() != null);
  }

  private Divergence outputDivergence(List<OutputComparison> outputs) {
    OutputComparison o =
        outputs.stream().filter(x -> x.metrics().significant()).findFirst().orElseThrow();
    Map<String, String> names = new LinkedHashMap<>();
    names.put("m0", o.referenceName());
    names.put(o.modelId(), o.name());
    int k = Integer.parseInt(o.modelId().substring(1));
    Finding finding =
        new OutputFinding(
            o.referenceName(),
            o.modelId(),
            o.name(),
            o.metrics(),
            options.tolerance(),
            recording != null,
            unalignedFeeding(0, o.referenceName()),
            unalignedFeeding(k, o.name()));
    return new Divergence(names, "output", finding, null);
  }

  /** Layers of {@code model} on the path to {@code output} whose rows hold no other model. */
  private List<OutputFinding.LayerRef> unalignedFeeding(int model, String output) {
    Map<String, Layer> producer = new HashMap<>();
    for (Layer l : models.get(model).layers()) {
      l.outputs().forEach(t -> producer.putIfAbsent(t, l));
    }
    Map<Layer, Aligner.Row> rowOf = new IdentityHashMap<>();
    for (Aligner.Row row : rows) {
      if (row.layer(model) != null) {
        rowOf.put(row.layer(model), row);
      }
    }
    List<OutputFinding.LayerRef> found = new ArrayList<>();
    java.util.Set<Layer> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(List.of(output));
    while (!todo.isEmpty()) {
      Layer l = producer.get(todo.pop());
      if (l == null || !seen.add(l)) {
        continue;
      }
      Aligner.Row row = rowOf.get(l);
      if (row != null && row.present() > 1) {
        continue; // an aligned layer: what feeds it was compared already
      }
      // A constant (ONNX's Constant node) computes nothing that could explain a difference.
      if (l.kind() != OpKind.CONSTANT) {
        found.add(new OutputFinding.LayerRef(l.name(), l.opType()));
      }
      todo.addAll(l.inputs());
    }
    return found;
  }

  /** Which rows feed which, from each model's tensor names (graph order when unknown). */
  private static final class Upstream {
    private final List<BitSet[]> ancestors = new ArrayList<>();
    private final List<Map<Layer, Integer>> index = new ArrayList<>();
    private final List<Aligner.Row> rows;

    Upstream(List<ModelView> models, List<Aligner.Row> rows) {
      this.rows = rows;
      for (ModelView m : models) {
        List<Layer> layers = m.layers();
        Map<Layer, Integer> idx = new IdentityHashMap<>();
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < layers.size(); i++) {
          idx.put(layers.get(i), i);
          if (layers.get(i).kind() != OpKind.CONTAINER) {
            for (String o : layers.get(i).outputs()) {
              producer.putIfAbsent(o, i);
            }
          }
        }
        // A container (a Keras layer with children) is listed before its children and names its
        // last child's output as its own: as the producer it would hide every child from what
        // reads that tensor, so it produces only what no child does.
        for (int i = 0; i < layers.size(); i++) {
          if (layers.get(i).kind() == OpKind.CONTAINER) {
            for (String o : layers.get(i).outputs()) {
              producer.putIfAbsent(o, i);
            }
          }
        }
        boolean known = layers.stream().anyMatch(l -> !l.inputs().isEmpty());
        BitSet[] anc = null;
        if (known) {
          anc = new BitSet[layers.size()];
          for (int i = 0; i < layers.size(); i++) {
            anc[i] = new BitSet();
            for (String in : layers.get(i).inputs()) {
              Integer p = producer.get(in);
              if (p != null && p < i) {
                anc[i].or(anc[p]);
                anc[i].set(p);
              }
            }
          }
        }
        ancestors.add(anc);
        index.add(idx);
      }
    }

    boolean isUpstream(int earlier, int later) {
      Aligner.Row a = rows.get(earlier);
      Aligner.Row b = rows.get(later);
      for (int m = 0; m < a.modelCount(); m++) {
        if (a.layer(m) == null || b.layer(m) == null) {
          continue;
        }
        BitSet[] anc = ancestors.get(m);
        if (anc == null) {
          return true;
        }
        if (anc[index.get(m).get(b.layer(m))].get(index.get(m).get(a.layer(m)))) {
          return true;
        }
      }
      return false;
    }
  }
}
