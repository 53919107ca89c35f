package dev.portcheck.importers.api;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The one exception portcheck throws for anything it cannot check: its message names the file or
 * layer, what was expected, and how to fix it. A numeric divergence is never an exception; it is a
 * result.
 */
public final class PortcheckException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a check could not be made. */
  public enum Reason {
    /** The file or folder does not exist. */
    NOT_FOUND,
    /** It exists but cannot be read (permissions, I/O error). */
    UNREADABLE,
    /** It ends before its structure says it should. */
    TRUNCATED,
    /** Its bytes do not form a valid model of the detected format. */
    CORRUPT,
    /** It asks for something a verifier must never do: run code, write outside its folder. */
    UNSAFE,
    /** No importer recognises the format. */
    UNSUPPORTED_FORMAT,
    /** The engine cannot run an operator it contains. */
    UNSUPPORTED_OP,
    /** The model cannot be run (a bare checkpoint) or is too large to run here. */
    NOT_RUNNABLE,
    /** A given input does not fit the model (unknown name, wrong dtype or shape). */
    BAD_INPUT,
    /** The engine failed while loading or running. */
    ENGINE,
    /** The command line or a companion file (label list, baseline) is wrong. */
    USAGE
  }

  private final Reason reason;

  private PortcheckException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason);
  }

  /** Why the check could not be made. */
  public Reason reason() {
    return reason;
  }

  /** A generic instance; prefer the named factories. */
  public static PortcheckException of(Reason reason, String message, Throwable cause) {
    return new PortcheckException(reason, message, cause);
  }

  public static PortcheckException notFound(Path path) {
    return new PortcheckException(
        Reason.NOT_FOUND, path + ": no such file or folder. Check the path.", null);
  }

  public static PortcheckException unreadable(Path path, Throwable cause) {
    return new PortcheckException(
        Reason.UNREADABLE,
        path + ": cannot be read (" + describe(cause) + "). Check its permissions.",
        cause);
  }

  public static PortcheckException truncated(Path path, String detail) {
    return new PortcheckException(
        Reason.TRUNCATED,
        path + ": truncated: " + detail + ". The file is incomplete; download or export it again.",
        null);
  }

  public static PortcheckException corrupt(Path path, String detail, Throwable cause) {
    return new PortcheckException(
        Reason.CORRUPT,
        path
            + ": not a valid model: "
            + detail
            + ". Export it again or check that it is the file you meant.",
        cause);
  }

  public static PortcheckException unsafe(Path path, String detail) {
    return new PortcheckException(
        Reason.UNSAFE,
        path + ": refused as unsafe: " + detail + ". Nothing was executed or written.",
        null);
  }

  public static PortcheckException unsupportedFormat(Path path, Collection<String> known) {
    return new PortcheckException(
        Reason.UNSUPPORTED_FORMAT,
        path + ": not a model format portcheck reads; expected one of " + known + ".",
        null);
  }

  public static PortcheckException unsupportedOp(
      Path path, String layer, String op, Throwable cause) {
    return new PortcheckException(
        Reason.UNSUPPORTED_OP,
        path
            + ": layer '"
            + layer
            + "' uses op "
            + op
            + ", which the engine cannot run ("
            + describe(cause)
            + ").",
        cause);
  }

  /** A parameter name the model does not hold, with a few it does (ORT's "expected one of"). */
  public static PortcheckException unknownParameter(
      Path path, String name, Collection<String> known) {
    List<String> some = known.stream().limit(5).toList();
    return new PortcheckException(
        Reason.NOT_FOUND,
        path
            + ": no parameter named '"
            + name
            + "'; expected one of "
            + some
            + (known.size() > some.size() ? " (" + known.size() + " in all)" : "")
            + "; 'portcheck inspect --params' lists them.",
        null);
  }

  public static PortcheckException notRunnable(Path path, String why) {
    return new PortcheckException(
        Reason.NOT_RUNNABLE, path + ": cannot be run: " + why + ".", null);
  }

  public static PortcheckException badInput(Path path, String detail) {
    return new PortcheckException(Reason.BAD_INPUT, path + ": " + detail, null);
  }

  public static PortcheckException engine(Path path, String during, Throwable cause) {
    return new PortcheckException(
        Reason.ENGINE,
        path + ": the engine failed while " + during + ": " + describe(cause),
        cause);
  }

  public static PortcheckException usage(String message) {
    return new PortcheckException(Reason.USAGE, message, null);
  }

  private static String describe(Throwable t) {
    if (t == null) {
      return "no detail";
    }
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      return t.getClass().getSimpleName();
    }
    // Engine messages can span pages (ORT and TF append stack dumps); the first line says enough.
    int nl = m.indexOf('\n');
    return (nl > 0 ? m.substring(0, nl) : m).strip();
  }
}
