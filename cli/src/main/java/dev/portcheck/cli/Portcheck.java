package dev.portcheck.cli;

import dev.portcheck.importers.api.PortcheckException;
import java.io.PrintWriter;
import java.util.ServiceLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code portcheck} entry point. */
@Command(
    name = "portcheck",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Verifies neural-network models ported between PyTorch, TensorFlow and ONNX:",
      "finds the first layer whose outputs diverge and why (epsilon, weights, numerics)."
    },
    subcommands = {
      CompareCommand.class,
      SnapshotCommand.class,
      CheckCommand.class,
      LabelsCommand.class,
      InspectCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:models match",
      "1:a difference was found",
      "2:could not check (usage, unreadable, unsafe or unsupported input)"
    })
public final class Portcheck implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
  }

  /**
   * Builds the command line with portcheck's error handling, for {@link #main} and for tests, with
   * the {@link PortcheckSubcommand}s found on the class path.
   */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Portcheck());
    // Before the handlers are set: picocli gives them to the subcommands present at that moment.
    for (PortcheckSubcommand extra : ServiceLoader.load(PortcheckSubcommand.class)) {
      cl.addSubcommand(extra);
    }
    cl.setExecutionExceptionHandler(Portcheck::handleExecutionException);
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine cmd = ex.getCommandLine();
          Refusals.report(cmd, args, "USAGE", Refusals.usageMessage(ex));
          PrintWriter err = cmd.getErr();
          err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
          err.flush();
          return ExitCodes.CANNOT_CHECK;
        });
    return cl;
  }

  private static int handleExecutionException(
      Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
    PrintWriter err = cl.getErr();
    boolean verbose =
        parseResult.hasMatchedOption("--verbose")
            || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
    String[] args = parseResult.originalArgs().toArray(new String[0]);
    if (ex instanceof PortcheckException pe) {
      Refusals.report(cl, args, pe.reason().name(), pe.getMessage());
    } else {
      // Not one of ours: still no stack trace by default, but say it is a bug.
      Refusals.report(
          cl,
          args,
          "INTERNAL",
          "internal error: " + ex + " (please report it; rerun with --verbose for details)");
    }
    if (verbose) {
      ex.printStackTrace(err);
    }
    err.flush();
    return ExitCodes.CANNOT_CHECK;
  }

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
