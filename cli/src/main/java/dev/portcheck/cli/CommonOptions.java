package dev.portcheck.cli;

import picocli.CommandLine.Option;

/** Options every command shares. */
public final class CommonOptions {
  @Option(
      names = {"-v", "--verbose", "--debug"},
      description = "Show stack traces of errors (for bug reports).")
  boolean verbose;
}
