package dev.portcheck.cli;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.Tolerance;
import dev.portcheck.importers.api.AtomicFiles;
import dev.portcheck.importers.api.PortcheckException;
import java.io.IOException;
import java.nio.file.Path;

/** Parsing of option values that picocli cannot type by itself. */
final class Options {
  private Options() {}

  static Tolerance tolerance(double atol, double rtol, String option) {
    if (!(atol >= 0) || !(rtol >= 0) || Double.isInfinite(atol) || Double.isInfinite(rtol)) {
      throw PortcheckException.usage(
          option
              + ": tolerances must be finite and >= 0, got atol="
              + atol
              + " rtol="
              + rtol
              + ".");
    }
    return new Tolerance(atol, rtol);
  }

  /** {@code LAYER=ATOL[,RTOL]}; the relative tolerance defaults to the global one's default. */
  static void layerTolerance(String text, CompareOptions.Builder b) {
    int eq = text.lastIndexOf('=');
    if (eq <= 0) {
      throw PortcheckException.usage(
          "--layer-tolerance '" + text + "': expected LAYER=ATOL[,RTOL], e.g. norm2=1e-3,1e-2.");
    }
    String[] parts = text.substring(eq + 1).split(",");
    try {
      double atol = Double.parseDouble(parts[0].strip());
      double rtol =
          parts.length > 1 ? Double.parseDouble(parts[1].strip()) : Tolerance.DEFAULT.rtol();
      if (parts.length > 2) {
        throw new NumberFormatException();
      }
      b.layerTolerance(text.substring(0, eq), tolerance(atol, rtol, "--layer-tolerance"));
    } catch (NumberFormatException e) {
      throw PortcheckException.usage(
          "--layer-tolerance '"
              + text
              + "': expected LAYER=ATOL[,RTOL] with numbers, e.g. norm2=1e-3,1e-2.");
    }
  }

  /** {@code 1,3,224,224}. */
  static long[] dims(String name, String text) {
    String[] parts = text.split(",");
    long[] dims = new long[parts.length];
    try {
      for (int i = 0; i < parts.length; i++) {
        dims[i] = Long.parseLong(parts[i].strip());
        if (dims[i] <= 0) {
          throw new NumberFormatException();
        }
      }
    } catch (NumberFormatException e) {
      throw PortcheckException.usage(
          "--shape "
              + name
              + "="
              + text
              + ": dimensions must be positive integers, e.g. 1,3,224,224.");
    }
    return dims;
  }

  /** Replaces {@code file} with {@code text} and a newline, atomically ({@link AtomicFiles}). */
  static void write(Path file, String text) {
    try {
      AtomicFiles.writeString(file, text + "\n");
    } catch (IOException e) {
      throw PortcheckException.usage("cannot write " + file + ": " + e.getMessage() + ".");
    }
  }
}
