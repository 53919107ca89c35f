package dev.portcheck.cli;

/** The exit codes every command shares; CI jobs branch on them. */
public final class ExitCodes {
  /** The models (or the model and its baseline) match. */
  public static final int MATCH = 0;

  /** A difference was found: divergence, attribute or label mismatch. */
  public static final int DIFFERENCE = 1;

  /** Nothing could be checked: bad usage, unreadable, unsafe or unsupported input. */
  public static final int CANNOT_CHECK = 2;

  private ExitCodes() {}
}
