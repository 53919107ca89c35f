package dev.portcheck.comparator.probe;

import java.util.List;
import java.util.Map;

/** What {@link Probes} needs to build inputs: the probes and the input shapes and values given. */
public interface ProbeSettings {
  /** The probes to feed, in order. */
  List<Probe> probes();

  /** Input shape overrides, keyed by any model's input name or by position ({@code "0"}). */
  Map<String, List<Long>> shapes();

  /** Values for integer inputs (e.g. a sample rate), by name or position. */
  Map<String, Long> integerValues();
}
