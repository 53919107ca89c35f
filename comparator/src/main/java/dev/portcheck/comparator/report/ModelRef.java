package dev.portcheck.comparator.report;

import dev.portcheck.importers.api.Framework;
import java.util.Objects;

/**
 * A compared model.
 *
 * @param id {@code m0}, {@code m1}, ... in the order given; {@code m0} is the reference
 * @param path the file or folder it was read from
 * @param framework its framework
 */
public record ModelRef(String id, String path, Framework framework) {
  public ModelRef {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(framework, "framework");
  }

  /** The id of the model at {@code index}. */
  public static String idOf(int index) {
    return "m" + index;
  }
}
