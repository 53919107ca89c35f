package dev.portcheck.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.portcheck.comparator.ProgressListener.Phase;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one {@code portcheck bench} run measured, as written by {@code --json} (the component
 * names are the JSON field names; absent parts are left out). All times are milliseconds.
 *
 * @param schemaVersion {@code 1}
 * @param runs timed runs of each kind per round
 * @param availableProcessors what the JVM saw
 * @param engines one entry per model, in argument order
 * @param sumPlainMs the sum of the models' plain inference times
 * @param compare the whole comparison, or null for a single model
 * @param ratios compare and run phase against the plain inferences, or null for a single model
 * @param polygraphy the Polygraphy run, or null without {@code --polygraphy}
 * @param wholeProcess portcheck and Polygraphy as whole processes on the same ONNX, or null without
 *     both {@code --polygraphy} and {@code --portcheck}
 * @param compareSets one whole-process {@code portcheck compare} per {@code --compare-set}, in
 *     argument order (empty without)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record BenchFigures(
    int schemaVersion,
    int runs,
    int availableProcessors,
    List<Engine> engines,
    double sumPlainMs,
    Compare compare,
    @JsonUnwrapped Ratios ratios,
    Polygraphy polygraphy,
    WholeProcess wholeProcess,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<CompareSet> compareSets) {

  BenchFigures {
    engines = List.copyOf(engines);
    compareSets = List.copyOf(compareSets);
  }

  /**
   * One model on its engine: load, then medians of plain, tapped in place and tapped copied runs.
   *
   * @param model the path as given
   * @param framework {@code onnx}, {@code tensorflow} or {@code pytorch}
   * @param layers layers the importer lists
   * @param loadMs opening the model
   * @param plainMs median warm inference, no layer tapped
   * @param tappedMs median warm inference with every layer tapped, read in place
   * @param tappedCopiedMs the same, copied into fresh heap arrays
   */
  record Engine(
      String model,
      String framework,
      int layers,
      double loadMs,
      double plainMs,
      double tappedMs,
      double tappedCopiedMs) {

    /**
     * The cost of tapping every layer, in place.
     *
     * @return tapped / plain
     */
    @JsonProperty
    public double tappedOverPlain() {
      return tappedMs / plainMs;
    }

    /**
     * The cost of tapping every layer, copied into the heap.
     *
     * @return tapped copied / plain
     */
    @JsonProperty
    public double tappedCopiedOverPlain() {
      return tappedCopiedMs / plainMs;
    }
  }

  /**
   * The models compared together: load, a cold compare, then one warm compare per probe count.
   *
   * @param peakRssReset whether the peak RSS mark could be reset before (else it covers the whole
   *     process)
   * @param loadMs opening all the models
   * @param weightBytes bytes of every stored parameter, as the engines hold them
   * @param coldCompareMs the first compare (one probe)
   * @param byProbes one row per probe count
   * @param peakRssMiB the peak RSS after the last row
   */
  record Compare(
      boolean peakRssReset,
      double loadMs,
      long weightBytes,
      double coldCompareMs,
      List<ProbeRow> byProbes,
      double peakRssMiB) {
    Compare {
      byProbes = List.copyOf(byProbes);
    }
  }

  /**
   * One warm compare.
   *
   * @param probes probes fed
   * @param compareMs its wall time
   * @param phasesMs that time split by phase, in phase order
   * @param reportMs rendering text and JSON
   * @param verdict the comparison's verdict
   * @param rows rows of the report's layer table
   * @param peakRssMiB the peak RSS so far
   */
  record ProbeRow(
      int probes,
      double compareMs,
      Map<Phase, Double> phasesMs,
      double reportMs,
      String verdict,
      int rows,
      double peakRssMiB) {
    ProbeRow {
      phasesMs =
          phasesMs.isEmpty()
              ? Map.of()
              : Collections.unmodifiableMap(new EnumMap<>(phasesMs)); // in phase order
    }

    /**
     * One phase's time.
     *
     * @param phase the phase
     * @return milliseconds, 0 if it did not occur
     */
    double phase(Phase phase) {
      return phasesMs.getOrDefault(phase, 0.0);
    }
  }

  /**
   * The ratios printed last, from the first and last probe counts.
   *
   * @param compareOverSumPlain compare (load excluded) per probe / sum of plain inferences
   * @param runOverSumPlain the compare's run phase per probe / sum of plain inferences
   * @param extraProbeOverSumPlain each probe beyond the first / sum of plain inferences, or null
   *     with one probe count
   * @param rssBudgetMiB 2 × weights + 1 GiB (issue 15's target; 3 × weights + 1.5 GiB before)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Ratios(
      double compareOverSumPlain,
      double runOverSumPlain,
      Double extraProbeOverSumPlain,
      double rssBudgetMiB) {}

  /**
   * {@code polygraphy run ONNX --onnxrt --onnxrt --onnx-outputs mark all}.
   *
   * @param command the command line
   * @param wallMs its wall time
   * @param exitCode its exit code
   * @param peakRssMiB its peak RSS (see {@link ProcessRun})
   */
  record Polygraphy(String command, double wallMs, int exitCode, double peakRssMiB) {}

  /**
   * A command run as a child process, measured from outside.
   *
   * @param command the command line
   * @param wallMs from start to exit
   * @param peakRssMiB the largest VmHWM among the process and its descendants (a launcher script
   *     and the JVM it starts), polled from /proc while it ran
   * @param exitCode its exit code
   */
  record ProcessRun(String command, double wallMs, double peakRssMiB, int exitCode) {}

  /**
   * The same ONNX model compared with itself by portcheck ({@code portcheck compare X.onnx X.onnx})
   * and by Polygraphy (ONNX Runtime against itself, every output marked), each a whole process:
   * start-up, loading and reporting included.
   *
   * @param model the ONNX model
   * @param portcheck portcheck's process
   * @param polygraphy Polygraphy's process
   */
  record WholeProcess(String model, ProcessRun portcheck, ProcessRun polygraphy) {
    /**
     * portcheck's wall time against Polygraphy's.
     *
     * @return portcheck ÷ Polygraphy
     */
    @JsonProperty
    public double wallOverPolygraphy() {
      return portcheck.wallMs() / polygraphy.wallMs();
    }

    /**
     * portcheck's peak RSS against Polygraphy's.
     *
     * @return portcheck ÷ Polygraphy
     */
    @JsonProperty
    public double peakRssOverPolygraphy() {
      return portcheck.peakRssMiB() / polygraphy.peakRssMiB();
    }
  }

  /**
   * One {@code --compare-set}: {@code portcheck compare} of its models as a whole process.
   *
   * @param name the set's name
   * @param models the models, reference first
   * @param weightBytes the models' bytes on disk (external data and SavedModel variables included)
   * @param verdict the report's verdict ({@code MATCH}, {@code DRIFT}, ...), or null when the
   *     compare wrote no report (exit code 2: refused or failed; see {@code message})
   * @param message the compare's last line of output when it wrote no report, else null
   * @param process its process
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record CompareSet(
      String name,
      List<String> models,
      long weightBytes,
      String verdict,
      String message,
      ProcessRun process) {
    CompareSet {
      models = List.copyOf(models);
    }
  }
}
