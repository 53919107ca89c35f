package dev.portcheck.cli;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.probe.Probe;
import dev.portcheck.comparator.probe.ProbeSpec;
import dev.portcheck.importers.api.PortcheckException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** What the models are fed: probes, shapes and integer inputs, shared by compare and labels. */
public final class ProbeOptions {
  @Option(
      names = "--input",
      paramLabel = "[[MODEL:]NAME=]SPEC",
      converter = OptionValues.Input.Converter.class,
      description =
          "A probe instead of the defaults (all ones, then random:0). SPEC is ones, zeros,"
              + " random:SEED or a .npy file in the first model's layout; each bare SPEC is one"
              + " probe. NAME=SPEC sets one input (by any model's input name or position 0,"
              + " 1...) and the others to ones; repeating a NAME starts the next probe."
              + " MODEL:NAME=SPEC (MODEL m0, m1, m2) feeds an input of that model alone"
              + " (recurrent state, context samples), outside the matching of inputs by name"
              + " and position.")
  List<OptionValues.Input> inputs = new ArrayList<>();

  @Option(
      names = "--shape",
      paramLabel = "NAME=DIMS",
      converter = OptionValues.Shape.Converter.class,
      description = "An input's shape where no model declares it, e.g. --shape x=1,3,224,224.")
  List<OptionValues.Shape> shapes = new ArrayList<>();

  @Option(
      names = "--value",
      paramLabel = "[MODEL:]NAME=N",
      converter = OptionValues.IntegerValue.Converter.class,
      description = "The value of an integer input (e.g. a sample rate: --value sr=16000).")
  List<OptionValues.IntegerValue> values = new ArrayList<>();

  @Option(
      names = "--probe",
      paramLabel = "DIR|FILE.npy",
      description =
          "Real samples fed after the other probes: a .npy file (one sample in the first"
              + " model's layout and shape; a missing batch axis is added) or a folder of them"
              + " (repeatable). A sample in another layout is refused with the transposition it"
              + " needs.")
  List<Path> samples = new ArrayList<>();

  /**
   * Adds probes, shapes and values to {@code b}.
   *
   * @param b the options being built
   * @return {@code b}
   */
  public CompareOptions.Builder apply(CompareOptions.Builder b) {
    List<Probe> probes = inputProbes();
    if (probes.isEmpty() && !samples.isEmpty()) {
      probes.addAll(CompareOptions.DEFAULT_PROBES);
    }
    for (Path p : sampleFiles()) {
      probes.add(Probe.of(new ProbeSpec.NpyFile(p)));
    }
    probes.forEach(b::probe);
    shapes.forEach(s -> b.shape(s.name(), s.array()));
    values.forEach(v -> b.integerValue(v.name(), v.value()));
    return b;
  }

  private List<Probe> inputProbes() {
    List<Probe> probes = new ArrayList<>();
    Map<String, ProbeSpec> current = new LinkedHashMap<>();
    for (OptionValues.Input in : inputs) {
      String name = in.name();
      ProbeSpec spec = in.spec();
      // A bare SPEC is a whole probe; named specs gather until a name repeats.
      if (!current.isEmpty()
          && (current.containsKey(name) || name.isEmpty() || current.containsKey(""))) {
        probes.add(probe(current));
        current.clear();
      }
      current.put(name, spec);
    }
    if (!current.isEmpty()) {
      probes.add(probe(current));
    }
    return probes;
  }

  /** The bare spec fills every input not named; named specs override it. */
  private static Probe probe(Map<String, ProbeSpec> specs) {
    Map<String, ProbeSpec> named = new LinkedHashMap<>(specs);
    ProbeSpec all = named.remove("");
    String label =
        specs.entrySet().stream()
            .map(e -> (e.getKey().isEmpty() ? "" : e.getKey() + "=") + e.getValue().describe())
            .collect(Collectors.joining(","));
    return new Probe(label, all == null ? ProbeSpec.ONES : all, named);
  }

  private List<Path> sampleFiles() {
    List<Path> files = new ArrayList<>();
    for (Path p : samples) {
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          List<Path> npy =
              s.filter(f -> f.getFileName().toString().endsWith(".npy")).sorted().toList();
          if (npy.isEmpty()) {
            throw PortcheckException.usage(
                "--probe " + p + ": the folder holds no .npy files; save samples with numpy.save.");
          }
          files.addAll(npy);
        } catch (IOException e) {
          throw PortcheckException.unreadable(p, e);
        }
      } else if (Files.isRegularFile(p)) {
        files.add(p);
      } else {
        throw PortcheckException.notFound(p);
      }
    }
    return files;
  }
}
