package dev.portcheck.comparator.probe;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One probe: a set of inputs fed identically to every model.
 *
 * @param label shown in reports ({@code ones}, {@code random:0})
 * @param spec how inputs are filled unless overridden
 * @param byInput per-input overrides, keyed by any model's input name or by position ({@code "0"})
 */
public record Probe(String label, ProbeSpec spec, Map<String, ProbeSpec> byInput) {
  public Probe {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(spec, "spec");
    byInput = Collections.unmodifiableMap(new LinkedHashMap<>(byInput));
  }

  /** A probe filling every input the same way. */
  public static Probe of(ProbeSpec spec) {
    return new Probe(spec.describe(), spec, Map.of());
  }

  /** The spec for an input known by these names at this position. */
  ProbeSpec specFor(int position, Iterable<String> names) {
    for (String n : names) {
      ProbeSpec s = byInput.get(n);
      if (s != null) {
        return s;
      }
    }
    return byInput.getOrDefault(Integer.toString(position), spec);
  }
}
