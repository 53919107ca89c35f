package dev.portcheck.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.portcheck.cli.CommonOptions;
import dev.portcheck.cli.ExitCodes;
import dev.portcheck.cli.MemoryBudget;
import dev.portcheck.cli.OpenModels;
import dev.portcheck.cli.PortcheckSubcommand;
import dev.portcheck.cli.ProbeOptions;
import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.ModelComparison;
import dev.portcheck.comparator.ProgressListener;
import dev.portcheck.comparator.ProgressListener.Phase;
import dev.portcheck.comparator.measure.Kernels;
import dev.portcheck.comparator.output.JsonRenderer;
import dev.portcheck.comparator.output.TextRenderer;
import dev.portcheck.comparator.probe.Probe;
import dev.portcheck.comparator.probe.ProbeSpec;
import dev.portcheck.comparator.probe.Probes;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.importers.api.AtomicFiles;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code portcheck bench MODEL...}: how much the layer walk costs compared with plain inference,
 * per engine and for the whole comparison, measured in one run so the ratios are comparable.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    header = "Measures load, plain and all-layers-tapped inference, and compare, in one run.",
    description = {
      "For each model: load time, warm plain inference and warm all-layers-tapped inference,"
          + " both in place (as compare runs it: the engine writes into reused buffers) and"
          + " copied into the heap (as ModelView.run returns it)"
          + " (medians over 3 alternating rounds of --runs each). Then compare of all the models (2 or 3) with 1, 4 and 16"
          + " probes (--probe-counts): wall time split into load, compare (align, run, summarise)"
          + " and report, and the process's peak RSS. Prints a table, the ratios that matter"
          + " (tapped / plain per engine; compare / sum of plain inferences) and, with --json,"
          + " the same as JSON.",
      "",
      "With --polygraphy EXE, also times `polygraphy run ONNX --onnxrt --onnxrt --onnx-outputs"
          + " mark all` on the first ONNX model, the same all-outputs comparison in Python; with"
          + " --portcheck EXE too, also `portcheck compare ONNX ONNX`, both as whole processes"
          + " (wall time and peak RSS of each).",
      "",
      "--compare-set NAME=MODEL,MODEL[,MODEL] (repeatable, needs --portcheck) runs"
          + " `portcheck compare` of those models as a whole process and records its wall time,"
          + " peak RSS and verdict: the rows for transformer-scale models, which need a JVM of"
          + " their own. MODEL arguments may then be left out."
    })
public final class BenchCommand implements PortcheckSubcommand {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin ProbeOptions probeOptions;

  @Parameters(
      paramLabel = "MODEL",
      arity = "0..3",
      description = "One to three models (none with only --compare-set).")
  List<Path> models = List.of();

  /** Rounds of plain-then-tapped runs per engine; the medians are taken over all of them. */
  static final int ROUNDS = 3;

  /** Untimed runs before each kind's timed runs in a round. */
  static final int WARM_UP_RUNS = 2;

  @Option(
      names = "--runs",
      description =
          "Timed runs of each kind per round, in 3 rounds that alternate plain and tapped runs"
              + " (default: ${DEFAULT-VALUE}).")
  int runs = 5;

  @Option(
      names = "--probe-counts",
      split = ",",
      paramLabel = "N",
      description = "Probe counts for the compare timings (default: ${DEFAULT-VALUE}).")
  List<Integer> probeCounts = List.of(1, 4, 16);

  @Option(names = "--polygraphy", paramLabel = "EXE", description = "A polygraphy executable.")
  Path polygraphy;

  @Option(
      names = "--portcheck",
      paramLabel = "EXE",
      description =
          "A portcheck launcher (./portcheck in a checkout) for the whole-process runs:"
              + " --compare-set, and portcheck against --polygraphy.")
  Path portcheck;

  @Option(
      names = "--compare-set",
      paramLabel = "NAME=MODEL,MODEL[,MODEL]",
      description =
          "Time `portcheck compare` of these models as a whole process (needs --portcheck);"
              + " repeatable.")
  List<String> compareSets = List.of();

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON.")
  Path json;

  /** Minutes a whole-process run may take before it is killed. */
  static final long CHILD_TIMEOUT_MINUTES = 60;

  /** Creates the command; {@link java.util.ServiceLoader} uses this. */
  public BenchCommand() {}

  @Override
  public Integer call() throws Exception {
    if (runs < 1 || probeCounts.stream().anyMatch(n -> n < 1)) {
      throw PortcheckException.usage("--runs and --probe-counts must be at least 1.");
    }
    List<SetSpec> sets = new ArrayList<>();
    for (String s : compareSets) {
      sets.add(SetSpec.parse(s));
    }
    if (!sets.isEmpty() && portcheck == null) {
      throw PortcheckException.usage(
          "--compare-set runs portcheck as a process of its own: give the launcher with"
              + " --portcheck EXE (./portcheck in a checkout).");
    }
    if (models.isEmpty() && sets.isEmpty()) {
      throw PortcheckException.usage("bench needs one to three MODELs, or --compare-set.");
    }
    PrintWriter out = spec.commandLine().getOut();
    List<BenchFigures.Engine> engines = new ArrayList<>();
    double plainSum = 0;
    if (!models.isEmpty()) {
      out.printf(
          "%-44s %-10s %9s %11s %11s %8s %11s %8s%n",
          "model", "engine", "load ms", "plain ms", "tapped ms", "ratio", "copied ms", "ratio");
    }
    for (Path p : models) {
      BenchFigures.Engine e = engine(p);
      engines.add(e);
      plainSum += e.plainMs();
      out.printf(
          "%-44s %-10s %9.0f %11.1f %11.1f %8.2f %11.1f %8.2f%n",
          clip(p.toString(), 44),
          e.framework(),
          e.loadMs(),
          e.plainMs(),
          e.tappedMs(),
          e.tappedOverPlain(),
          e.tappedCopiedMs(),
          e.tappedCopiedOverPlain());
      out.flush();
    }
    BenchFigures.Compare compare = null;
    BenchFigures.Ratios ratios = null;
    if (models.size() >= 2) {
      // Warm means warm for the summarising kernel too: the vector one is compiled before the
      // compares, as in a process that has summarised a billion values (Kernels.expect).
      try {
        kernel = Kernels.awaitSettled(java.time.Duration.ofSeconds(60));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      out.printf(
          "%ncompare of %d models (load excluded, warm; %s kernel; phases in ms):%n",
          models.size(), kernel);
      out.printf(
          "%6s %10s %8s %8s %8s %10s %9s %8s %12s %10s%n",
          "probes",
          "compare",
          "align",
          "static",
          "run",
          "summarise",
          "assemble",
          "report",
          "ms per probe",
          "peak RSS");
      compare = compareAll(out);
      ratios = ratios(compare, plainSum);
      BenchFigures.ProbeRow one = compare.byProbes().get(0);
      out.printf(
          "%nload of %d models: %.0f ms; first (cold) compare: %.0f ms; weights: %.0f MiB%n",
          models.size(), compare.loadMs(), compare.coldCompareMs(), compare.weightBytes() / MIB);
      out.printf(
          "ratios: compare (load excluded) per probe, %d probe(s) / sum of plain inferences ="
              + " %.2f%n",
          one.probes(), ratios.compareOverSumPlain());
      out.printf(
          "ratios: compare run phase per probe / sum of plain inferences = %.2f%n",
          ratios.runOverSumPlain());
      if (ratios.extraProbeOverSumPlain() != null) {
        out.printf(
            "ratios: each probe beyond the first (%d to %d probes) / sum of plain inferences ="
                + " %.2f%n",
            one.probes(),
            compare.byProbes().get(compare.byProbes().size() - 1).probes(),
            ratios.extraProbeOverSumPlain());
      }
      double peak = compare.peakRssMiB();
      out.printf(
          "memory: peak RSS during compare %.0f MiB; budget 2 x weights + 1 GiB = %.0f MiB"
              + " (%s)%n",
          peak, ratios.rssBudgetMiB(), peak <= ratios.rssBudgetMiB() ? "within" : "over");
    }
    for (BenchFigures.Engine e : engines) {
      out.printf(
          "ratios: %s tapped / plain = %.2f (copied into the heap: %.2f)%n",
          e.framework(), e.tappedOverPlain(), e.tappedCopiedOverPlain());
    }
    BenchFigures.Polygraphy poly = null;
    BenchFigures.WholeProcess whole = null;
    if (polygraphy != null) {
      Path onnx = firstOnnx();
      BenchFigures.ProcessRun p = polygraphy(onnx);
      poly = new BenchFigures.Polygraphy(p.command(), p.wallMs(), p.exitCode(), p.peakRssMiB());
      out.printf(
          "polygraphy run --onnxrt --onnxrt --onnx-outputs mark all: %.0f ms wall, peak RSS %.0f"
              + " MiB%n",
          poly.wallMs(), poly.peakRssMiB());
      if (portcheck != null) {
        // One probe, as Polygraphy feeds one batch of random data by default.
        BenchFigures.ProcessRun pc =
            portcheckCompare("self", List.of(onnx, onnx), "--input", "random:0").process();
        whole = new BenchFigures.WholeProcess(onnx.toString(), pc, p);
        out.printf(
            "whole process, %s against itself: portcheck compare %.0f ms, peak RSS %.0f MiB"
                + " (exit %d); / polygraphy: wall %.2f, peak RSS %.2f%n",
            onnx,
            pc.wallMs(),
            pc.peakRssMiB(),
            pc.exitCode(),
            whole.wallOverPolygraphy(),
            whole.peakRssOverPolygraphy());
      }
    }
    List<BenchFigures.CompareSet> setRows = new ArrayList<>();
    if (!sets.isEmpty()) {
      out.printf(
          "%nportcheck compare as a whole process (%s):%n%-16s %10s %12s %10s %10s  %s%n",
          portcheck, "set", "weights", "wall ms", "peak RSS", "verdict", "models");
      out.flush();
      for (SetSpec set : sets) {
        BenchFigures.CompareSet row = portcheckCompare(set.name(), set.models());
        setRows.add(row);
        out.printf(
            "%-16s %6.0f MiB %12.0f %6.0f MiB %10s  %s%n",
            clip(row.name(), 16),
            row.weightBytes() / MIB,
            row.process().wallMs(),
            row.process().peakRssMiB(),
            row.verdict() != null ? row.verdict() : "exit " + row.process().exitCode(),
            String.join(" ", row.models()));
        if (row.message() != null) {
          out.printf("%16s %s%n", "", row.message());
        }
        out.flush();
      }
    }
    out.printf("peak RSS of this process: %.0f MiB%n", peakRssMiB());
    if (json != null) {
      BenchFigures figures =
          new BenchFigures(
              1,
              runs,
              Runtime.getRuntime().availableProcessors(),
              engines,
              plainSum,
              compare,
              ratios,
              poly,
              whole,
              setRows);
      try {
        // Made here, not in a static field: the command is instantiated whenever portcheck starts
        // (ServiceLoader), and a Jackson mapper costs a tenth of a second there.
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.writeString(json, mapper.writeValueAsString(figures) + "\n");
      } catch (IOException e) {
        throw PortcheckException.usage("cannot write " + json + ": " + e.getMessage() + ".");
      }
    }
    out.flush();
    return ExitCodes.MATCH;
  }

  /**
   * Compare time per probe and the run phase against the plain inferences (from the first probe
   * count), the growth per extra probe (first to last count) and the memory budget.
   */
  private static BenchFigures.Ratios ratios(BenchFigures.Compare c, double plainSum) {
    BenchFigures.ProbeRow one = c.byProbes().get(0);
    BenchFigures.ProbeRow last = c.byProbes().get(c.byProbes().size() - 1);
    Double perExtra = null;
    int extra = last.probes() - one.probes();
    if (extra > 0) {
      perExtra = (last.compareMs() - one.compareMs()) / extra / plainSum;
    }
    return new BenchFigures.Ratios(
        one.compareMs() / one.probes() / plainSum,
        one.phase(Phase.RUN) / one.probes() / plainSum,
        perExtra,
        2 * c.weightBytes() / MIB + 1024);
  }

  private BenchFigures.Engine engine(Path p) {
    long t0 = System.nanoTime();
    MemoryBudget.check(List.of(p), common.memoryLimit());
    try (ModelView view = Importers.open(p)) {
      double load = ms(t0);
      if (!view.runnable()) {
        throw PortcheckException.usage(p + " cannot be run (weights only); bench runnable models.");
      }
      Map<String, Tensor> inputs = inputs(view);
      // Plain and tapped runs alternate in rounds, so that a slow spell of the machine hits both
      // sides of the ratio. Each kind starts with untimed runs: an importer keeps one engine
      // session (plain or tapped) at a time, so the first reloads it, and TorchScript's profiling
      // executor optimises a freshly loaded module on its second run.
      // Tapped runs are timed twice: in place, as compare runs them (engines write into buffers
      // they reuse), and copied into fresh heap arrays, as ModelView.run returns them.
      double[] plain = new double[ROUNDS * runs];
      double[] tapped = new double[ROUNDS * runs];
      double[] copied = new double[ROUNDS * runs];
      Runnable plainRun = () -> view.run(inputs, TapSelection.NONE).close();
      Runnable tappedRun = () -> view.runInPlace(inputs, TapSelection.ALL).close();
      Runnable copiedRun = () -> view.run(inputs, TapSelection.ALL).close();
      for (int round = 0; round < ROUNDS; round++) {
        warmUp(plainRun);
        time(plain, round * runs, runs, plainRun);
        warmUp(tappedRun);
        time(tapped, round * runs, runs, tappedRun);
        warmUp(copiedRun);
        time(copied, round * runs, runs, copiedRun);
      }
      return new BenchFigures.Engine(
          p.toString(),
          view.framework().id(),
          view.layers().size(),
          load,
          median(plain),
          median(tapped),
          median(copied));
    }
  }

  /** One probe's inputs for one model, shaped as compare would shape them. */
  private Map<String, Tensor> inputs(ModelView view) {
    CompareOptions o = probeOptions.apply(CompareOptions.builder()).build();
    return Probes.prepare(List.of(view), o).inputs(0, 0);
  }

  /**
   * Opens the models once, one cold compare, then a warm compare per probe count. The peak-RSS mark
   * is reset first (Linux {@code clear_refs}), so it covers this part alone and not the per-engine
   * runs before it.
   */
  /** The summarising kernel of the timed compares ({@code vector} or {@code scalar}). */
  private String kernel = "scalar";

  private BenchFigures.Compare compareAll(PrintWriter out) {
    List<BenchFigures.ProbeRow> byProbes = new ArrayList<>();
    System.gc();
    boolean reset = resetPeakRss();
    long t0 = System.nanoTime();
    try (OpenModels open = OpenModels.open(models, common.memoryLimit())) {
      double loadMs = ms(t0);
      long weightBytes = weightBytes(open.views());
      long t1 = System.nanoTime();
      ModelComparison.compare(open.views(), options(1, new PhaseTimes()));
      double coldMs = ms(t1);
      for (int n : probeCounts) {
        PhaseTimes phases = new PhaseTimes();
        long t2 = System.nanoTime();
        ComparisonReport r = ModelComparison.compare(open.views(), options(n, phases));
        double compareMs = ms(t2);
        long t3 = System.nanoTime();
        new TextRenderer().render(r);
        new JsonRenderer().render(r);
        BenchFigures.ProbeRow row =
            new BenchFigures.ProbeRow(
                n,
                compareMs,
                phases.ms,
                ms(t3),
                r.verdict().name(),
                r.layers().size(),
                peakRssMiB());
        byProbes.add(row);
        out.printf(
            "%6d %10.0f %8.0f %8.0f %8.0f %10.0f %9.0f %8.0f %12.1f %6.0f MiB%n",
            n,
            row.compareMs(),
            row.phase(Phase.ALIGN),
            row.phase(Phase.STATIC_CHECKS),
            row.phase(Phase.RUN),
            row.phase(Phase.SUMMARISE),
            row.phase(Phase.ASSEMBLE),
            row.reportMs(),
            row.compareMs() / n,
            row.peakRssMiB());
        out.flush();
      }
      return new BenchFigures.Compare(reset, loadMs, weightBytes, coldMs, byProbes, peakRssMiB());
    }
  }

  /** Collects {@link ProgressListener.Phase} times in milliseconds. */
  private static final class PhaseTimes implements ProgressListener {
    final Map<Phase, Double> ms = new EnumMap<>(Phase.class);

    @Override
    public void progress(String step, int done, int total) {}

    @Override
    public void phase(Phase phase, long nanos) {
      ms.merge(phase, nanos / 1e6, Double::sum);
    }
  }

  /** Bytes of every stored parameter of the models, as the engines hold them. */
  static long weightBytes(List<ModelView> views) {
    long sum = 0;
    for (ModelView v : views) {
      for (ParameterInfo p : v.parameters().values()) {
        sum += p.elementCount() * Math.max(0, p.dtype().byteSize());
      }
    }
    return sum;
  }

  private CompareOptions options(int probes, ProgressListener phases) {
    CompareOptions.Builder b = probeOptions.apply(CompareOptions.builder()).progress(phases);
    for (int i = 0; i < probes; i++) {
      b.probe(Probe.of(new ProbeSpec.Random(i)));
    }
    return b.build();
  }

  private Path firstOnnx() {
    return models.stream()
        .filter(p -> p.getFileName().toString().endsWith(".onnx"))
        .findFirst()
        .orElseThrow(() -> PortcheckException.usage("--polygraphy needs an .onnx model."));
  }

  private BenchFigures.ProcessRun polygraphy(Path onnx) throws IOException, InterruptedException {
    List<String> cmd =
        List.of(
            polygraphy.toString(),
            "run",
            onnx.toString(),
            "--onnxrt",
            "--onnxrt",
            "--onnx-outputs",
            "mark",
            "all");
    Path log = Files.createTempFile("portcheck-polygraphy", ".log");
    try {
      return ChildProcessRun.run(cmd, log, CHILD_TIMEOUT_MINUTES);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /**
   * {@code portcheck compare MODELS [EXTRA] --json REPORT} as a process of its own, with this
   * bench's {@code --max-memory} passed on; the verdict is read from its JSON report.
   */
  private BenchFigures.CompareSet portcheckCompare(String name, List<Path> set, String... extra)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("portcheck-bench-compare", ".log");
    Path report = Files.createTempFile("portcheck-bench-compare", ".json");
    try {
      Files.delete(report); // written by the compare, if it gets that far
      List<String> cmd = new ArrayList<>(List.of(portcheck.toString(), "compare"));
      set.forEach(p -> cmd.add(p.toString()));
      cmd.addAll(List.of(extra));
      cmd.addAll(List.of("--json", report.toString()));
      if (common.memoryLimit() != null) {
        cmd.addAll(List.of("--max-memory", Long.toString(common.memoryLimit())));
      }
      BenchFigures.ProcessRun run = ChildProcessRun.run(cmd, log, CHILD_TIMEOUT_MINUTES);
      String verdict = null;
      String message = null;
      if (Files.exists(report)) {
        verdict = new ObjectMapper().readTree(report.toFile()).path("verdict").asText(null);
      } else {
        message = lastLine(Files.readString(log));
      }
      long bytes = 0;
      for (Path p : set.stream().distinct().toList()) {
        bytes += MemoryBudget.modelBytes(p);
      }
      return new BenchFigures.CompareSet(
          name, set.stream().map(Path::toString).toList(), bytes, verdict, message, run);
    } finally {
      Files.deleteIfExists(log);
      Files.deleteIfExists(report);
    }
  }

  /** The last non-blank line of a process's output (its error message when it failed). */
  static String lastLine(String output) {
    String[] lines = output.strip().split("\\R");
    return lines[lines.length - 1].strip();
  }

  /**
   * One {@code --compare-set} argument, {@code NAME=MODEL,MODEL[,MODEL]}.
   *
   * @param name the row's name
   * @param models two or three models
   */
  record SetSpec(String name, List<Path> models) {
    SetSpec {
      models = List.copyOf(models);
    }

    static SetSpec parse(String arg) {
      int eq = arg.indexOf('=');
      String name = eq > 0 ? arg.substring(0, eq).strip() : "";
      List<Path> paths = new ArrayList<>();
      if (eq > 0) {
        for (String m : arg.substring(eq + 1).split(",", -1)) {
          if (m.isBlank()) {
            paths.clear();
            break;
          }
          paths.add(Path.of(m.strip()));
        }
      }
      if (name.isEmpty() || paths.size() < 2 || paths.size() > 3) {
        throw PortcheckException.usage(
            "--compare-set '"
                + arg
                + "' is not NAME=MODEL,MODEL[,MODEL] (a name, then two or three models separated"
                + " by commas), e.g. bert=bert.pt,bert.onnx.");
      }
      return new SetSpec(name, paths);
    }
  }

  private static void warmUp(Runnable run) {
    for (int i = 0; i < WARM_UP_RUNS; i++) {
      run.run();
    }
  }

  private static void time(double[] into, int from, int n, Runnable r) {
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      r.run();
      into[from + i] = ms(t0);
    }
  }

  private static double median(double[] t) {
    double[] s = t.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static final double MIB = 1024.0 * 1024.0;

  private static double ms(long since) {
    return (System.nanoTime() - since) / 1e6;
  }

  /** Resets VmHWM to the current RSS ({@code echo 5 > /proc/self/clear_refs}); false if refused. */
  static boolean resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false; // not Linux, or not allowed: the figure then covers the whole process
    }
  }

  /** VmHWM: the high-water mark of resident memory, native allocations included. */
  static double peakRssMiB() {
    long bytes = MemoryBudget.procBytes(Path.of("/proc/self/status"), "VmHWM:");
    return bytes < 0 ? Double.NaN : bytes / MIB;
  }

  private static String clip(String s, int w) {
    return s.length() <= w ? s : "..." + s.substring(s.length() - w + 3);
  }
}
