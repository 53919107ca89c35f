package dev.portcheck.comparator;

import dev.portcheck.importers.api.ModelView;
import java.util.List;

/**
 * A model known from a recording rather than run: a {@link ModelView} (its layers, attributes,
 * declared parameters and the inputs it was fed) that also implements this interface is compared
 * from what was recorded, checksums instead of parameter values and summaries instead of
 * activations. A baseline is such a model; it can only be the reference, {@code m0}.
 */
public interface Recording {

  /** A parameter's checksum in the canonical layout, or null when it was not recorded. */
  Checksum parameterChecksum(String parameter);

  /**
   * A layer's output summaries, one per probe in order, or an empty list when none was recorded.
   */
  List<Sketch> activations(String layer);

  /** A model output's summary on probe {@code probe}, or null when it was not recorded. */
  Sketch outputSummary(String output, int probe);

  /** A model output's values on probe {@code probe} in its own layout, or null when not kept. */
  float[] outputValues(String output, int probe);

  /** What the report should say about the recording (its origin, engine changes since). */
  List<String> notes();

  /** The recording behind {@code model}, or null for a model that runs. */
  static Recording of(ModelView model) {
    return model instanceof Recording r ? r : null;
  }
}
