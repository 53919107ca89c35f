package dev.portcheck.cli;

import dev.portcheck.importers.api.AtomicFiles;
import dev.portcheck.importers.api.PortcheckException;
import java.io.IOException;
import java.nio.file.Path;

/** Writing the files that options name. */
final class Options {
  private Options() {}

  /** Replaces {@code file} with {@code text} and a newline, atomically ({@link AtomicFiles}). */
  static void write(Path file, String text) {
    try {
      AtomicFiles.writeString(file, text + "\n");
    } catch (IOException e) {
      throw PortcheckException.usage("cannot write " + file + ": " + e.getMessage() + ".");
    }
  }
}
