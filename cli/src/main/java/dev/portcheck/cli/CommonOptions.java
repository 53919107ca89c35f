package dev.portcheck.cli;

import picocli.CommandLine.Option;

/** Options every command shares. */
public final class CommonOptions {
  @Option(
      names = {"-v", "--verbose", "--debug"},
      description = "Show stack traces of errors (for bug reports).")
  boolean verbose;

  @Option(
      names = "--max-memory",
      paramLabel = "SIZE",
      converter = OptionValues.MemorySize.Converter.class,
      description =
          "Refuse up front models that need more memory than this (e.g. 8G; default: what the"
              + " machine or container has available).")
  OptionValues.MemorySize maxMemory;

  /**
   * The --max-memory limit in bytes, or null for the machine's available memory.
   *
   * @return bytes, or null
   */
  public Long memoryLimit() {
    return maxMemory == null ? null : maxMemory.bytes();
  }
}
