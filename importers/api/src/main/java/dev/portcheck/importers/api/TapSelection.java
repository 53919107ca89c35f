package dev.portcheck.importers.api;

import java.util.Collection;
import java.util.Set;

/**
 * Which layers' outputs {@link ModelView#run} should return besides the model outputs.
 *
 * @param all every tappable layer
 * @param layers layer names, when {@code all} is false
 */
public record TapSelection(boolean all, Set<String> layers) {
  /** Every tappable layer. */
  public static final TapSelection ALL = new TapSelection(true, Set.of());

  /** Model outputs only. */
  public static final TapSelection NONE = new TapSelection(false, Set.of());

  public TapSelection {
    layers = Set.copyOf(layers);
  }

  /** The named layers. */
  public static TapSelection of(Collection<String> layers) {
    return new TapSelection(false, Set.copyOf(layers));
  }

  /** The named layers. */
  public static TapSelection of(String... layers) {
    return new TapSelection(false, Set.of(layers));
  }

  /** Whether the layer is requested. */
  public boolean includes(String layer) {
    return all || layers.contains(layer);
  }
}
