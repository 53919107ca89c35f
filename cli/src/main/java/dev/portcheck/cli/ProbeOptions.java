package dev.portcheck.cli;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.Probe;
import dev.portcheck.comparator.ProbeSpec;
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
      paramLabel = "[NAME=]SPEC",
      description =
          "A probe instead of the defaults (all ones, then random:0). SPEC is ones, zeros,"
              + " random:SEED or a .npy file in the first model's layout; each bare SPEC is one"
              + " probe. NAME=SPEC sets one input (by any model's input name or position 0,"
              + " 1...) and the others to ones; repeating a NAME starts the next probe.")
  List<String> inputs = new ArrayList<>();

  @Option(
      names = "--shape",
      paramLabel = "NAME=DIMS",
      description = "An input's shape where no model declares it, e.g. --shape x=1,3,224,224.")
  Map<String, String> shapes = new LinkedHashMap<>();

  @Option(
      names = "--value",
      paramLabel = "NAME=N",
      description = "The value of an integer input (e.g. a sample rate: --value sr=16000).")
  Map<String, Long> values = new LinkedHashMap<>();

  @Option(
      names = "--probe",
      paramLabel = "DIR|FILE.npy",
      description =
          "Real samples fed after the other probes: a .npy file (one sample in the first"
              + " model's layout) or a folder of them (repeatable).")
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
    shapes.forEach((name, dims) -> b.shape(name, Options.dims(name, dims)));
    values.forEach(b::integerValue);
    return b;
  }

  private List<Probe> inputProbes() {
    List<Probe> probes = new ArrayList<>();
    Map<String, ProbeSpec> current = new LinkedHashMap<>();
    for (String text : inputs) {
      int eq = text.indexOf('=');
      String name = eq < 0 ? "" : text.substring(0, eq).strip();
      ProbeSpec spec = ProbeSpec.parse(eq < 0 ? text : text.substring(eq + 1));
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
