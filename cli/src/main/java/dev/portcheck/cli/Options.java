package dev.portcheck.cli;

import dev.portcheck.importers.api.PortcheckException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writing the files that options name. */
final class Options {
  private Options() {}

  static void write(Path file, String text) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, text + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw PortcheckException.usage("cannot write " + file + ": " + e.getMessage() + ".");
    }
  }
}
