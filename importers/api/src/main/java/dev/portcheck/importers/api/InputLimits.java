package dev.portcheck.importers.api;

import java.nio.file.Path;
import java.util.List;

/**
 * Refuses models whose declared inputs cannot be fed here, at open, before any probe is allocated:
 * a model file can declare {@code [1000000, 1000000]} (10^12 floats, 4 TB) as easily as {@code [1,
 * 3, 224, 224]}.
 */
public final class InputLimits {
  /**
   * The most elements one declared input may hold: 2^28 (1 GiB as float32), far above real inputs
   * (a 4K RGB frame is 2.5·10^7, a 512³ volume 1.3·10^8) and well inside the heap.
   */
  public static final long MAX_INPUT_ELEMENTS = 1L << 28;

  private InputLimits() {}

  /**
   * Throws NOT_RUNNABLE naming the input when a fully static declared shape holds more than {@link
   * #MAX_INPUT_ELEMENTS} elements. Dynamic dimensions are not judged (the probe's size decides).
   */
  public static void requireFeedable(Path source, List<TensorInfo> inputs) {
    for (TensorInfo t : inputs) {
      if (t.shape() == null) {
        continue;
      }
      long n = 1;
      boolean dynamic = false;
      for (long d : t.shape()) {
        if (d < 0) {
          dynamic = true;
          break;
        }
        n = d != 0 && n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d;
      }
      if (!dynamic && n > MAX_INPUT_ELEMENTS) {
        throw PortcheckException.notRunnable(
            source,
            "input '"
                + t.name()
                + "' declares shape "
                + t.shape()
                + ", "
                + (n == Long.MAX_VALUE ? "over 2^63" : String.format("%.3g", (double) n))
                + " elements, too large to feed (the limit is "
                + MAX_INPUT_ELEMENTS
                + " elements per input). If that shape is an export mistake, re-export with the"
                + " real input size");
      }
    }
  }
}
