package dev.portcheck.comparator;

import dev.portcheck.comparator.labels.LabelFile;
import dev.portcheck.comparator.probe.Probe;
import dev.portcheck.comparator.probe.ProbeSettings;
import dev.portcheck.comparator.probe.ProbeSpec;
import dev.portcheck.comparator.report.Tolerance;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link ModelComparison#compare} does.
 *
 * @param probes probes to run, in order (default: all-ones, then random-normal seed 0)
 * @param shapes input shape overrides, keyed by any model's input name or by position ({@code "0"})
 * @param integerValues values for integer inputs (e.g. a sample rate), by name or position
 * @param tolerance the activation tolerance for every layer
 * @param layerTolerances per-layer overrides, keyed by any model's layer name
 * @param weightTolerance tolerance for parameter comparisons (stored values are usually copied
 *     exactly, so this is tighter than the activation tolerance)
 * @param labels one label file per model, in model order, to check label mappings; empty for none
 * @param labelProbes extra probes run (outputs only) for the label check, after {@code probes}
 * @param progress told before each model run, for progress displays (never null)
 */
public record CompareOptions(
    List<Probe> probes,
    Map<String, List<Long>> shapes,
    Map<String, Long> integerValues,
    Tolerance tolerance,
    Map<String, Tolerance> layerTolerances,
    Tolerance weightTolerance,
    List<LabelFile> labels,
    List<Probe> labelProbes,
    ProgressListener progress)
    implements ProbeSettings {

  /** The default probes: all ones, then standard normal with seed 0. */
  public static final List<Probe> DEFAULT_PROBES =
      List.of(Probe.of(ProbeSpec.ONES), Probe.of(new ProbeSpec.Random(0)));

  /**
   * Extra probes for the label check: seeded random inputs, run without taps. Permutations are
   * recovered from each class's scores across probes, so a few more probes than the two default
   * ones make that fingerprint unambiguous at little cost.
   */
  public static final List<Probe> DEFAULT_LABEL_PROBES =
      java.util.stream.LongStream.rangeClosed(1, 6)
          .mapToObj(seed -> Probe.of(new ProbeSpec.Random(seed)))
          .toList();

  /** Tolerance for weights unless set: tight, since ports copy values. */
  public static final Tolerance DEFAULT_WEIGHT_TOLERANCE = new Tolerance(1e-6, 1e-4);

  public CompareOptions {
    probes = List.copyOf(probes.isEmpty() ? DEFAULT_PROBES : probes);
    Map<String, List<Long>> s = new LinkedHashMap<>();
    shapes.forEach((k, v) -> s.put(k, List.copyOf(v)));
    shapes = Collections.unmodifiableMap(s);
    integerValues = Collections.unmodifiableMap(new LinkedHashMap<>(integerValues));
    Objects.requireNonNull(tolerance, "tolerance");
    layerTolerances = Collections.unmodifiableMap(new LinkedHashMap<>(layerTolerances));
    Objects.requireNonNull(weightTolerance, "weightTolerance");
    labels = List.copyOf(labels);
    labelProbes = List.copyOf(labelProbes);
    progress = progress == null ? ProgressListener.NONE : progress;
  }

  /** Defaults everywhere. */
  public static CompareOptions defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The tolerance for a layer known by these names. */
  public Tolerance toleranceFor(Iterable<String> layerNames) {
    for (String n : layerNames) {
      Tolerance t = layerTolerances.get(n);
      if (t != null) {
        return t;
      }
    }
    return tolerance;
  }

  /** Mutable builder for {@link CompareOptions}. */
  public static final class Builder {
    private final List<Probe> probes = new ArrayList<>();
    private final Map<String, List<Long>> shapes = new LinkedHashMap<>();
    private final Map<String, Long> integerValues = new LinkedHashMap<>();
    private final Map<String, Tolerance> layerTolerances = new LinkedHashMap<>();
    private Tolerance tolerance = Tolerance.DEFAULT;
    private Tolerance weightTolerance = DEFAULT_WEIGHT_TOLERANCE;
    private List<LabelFile> labels = List.of();
    private List<Probe> labelProbes = DEFAULT_LABEL_PROBES;
    private ProgressListener progress = ProgressListener.NONE;

    private Builder() {}

    /** Adds a probe (the first call replaces the defaults). */
    public Builder probe(Probe probe) {
      probes.add(probe);
      return this;
    }

    /** Adds a probe filling every input by {@code spec}. */
    public Builder probe(ProbeSpec spec) {
      return probe(Probe.of(spec));
    }

    /** Sets an input's shape, by input name or position. */
    public Builder shape(String input, long... dims) {
      List<Long> l = new ArrayList<>();
      for (long d : dims) {
        l.add(d);
      }
      shapes.put(input, l);
      return this;
    }

    /** Sets an integer input's value, by input name or position. */
    public Builder integerValue(String input, long value) {
      integerValues.put(input, value);
      return this;
    }

    public Builder tolerance(Tolerance t) {
      this.tolerance = t;
      return this;
    }

    /** Tolerance for one layer, known by any model's name for it. */
    public Builder layerTolerance(String layer, Tolerance t) {
      layerTolerances.put(layer, t);
      return this;
    }

    public Builder weightTolerance(Tolerance t) {
      this.weightTolerance = t;
      return this;
    }

    /** One label file per model, in model order; an empty list turns the label check off. */
    public Builder labels(List<LabelFile> labels) {
      this.labels = List.copyOf(labels);
      return this;
    }

    /** Replaces the extra label-check probes (e.g. with real samples). */
    public Builder labelProbes(List<Probe> labelProbes) {
      this.labelProbes = List.copyOf(labelProbes);
      return this;
    }

    /** Receives a call before each model run (e.g. to print progress on stderr). */
    public Builder progress(ProgressListener progress) {
      this.progress = progress == null ? ProgressListener.NONE : progress;
      return this;
    }

    public CompareOptions build() {
      return new CompareOptions(
          probes,
          shapes,
          integerValues,
          tolerance,
          layerTolerances,
          weightTolerance,
          labels,
          labelProbes,
          progress);
    }
  }
}
