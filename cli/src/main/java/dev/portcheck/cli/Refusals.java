package dev.portcheck.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * How a command that cannot check says so (exit 2): one line on stderr, in the user's terms, and,
 * when the command's standard output is JSON ({@code --json -} for compare and check, {@code
 * --json} for labels and inspect), a JSON error object there too, so that a script reading stdout
 * always gets JSON.
 */
final class Refusals {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Refusals() {}

  /** Prints {@code portcheck: message} on stderr and, in JSON mode, the error object on stdout. */
  static void report(CommandLine cl, String[] args, String reason, String message) {
    PrintWriter err = cl.getErr();
    err.println("portcheck: " + message);
    err.flush();
    if (jsonOnStdout(cl, args)) {
      PrintWriter out = cl.getOut();
      out.println(errorJson(reason, message));
      out.flush();
    }
  }

  /** {@code {"schemaVersion":1,"error":{"reason":…,"message":…}}} on one line. */
  static String errorJson(String reason, String message) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("reason", reason);
    error.put("message", message);
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("schemaVersion", 1);
    root.put("error", error);
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings always serialises", e);
    }
  }

  /**
   * Whether the command prints JSON on stdout: its {@code --json} flag is given, or its {@code
   * --json FILE} option names {@code -}. Read from the raw arguments, as parsing may have failed.
   */
  static boolean jsonOnStdout(CommandLine cl, String[] args) {
    OptionSpec json = cl.getCommandSpec().findOption("--json");
    if (json == null || args == null) {
      return false;
    }
    boolean flag = json.arity().max() == 0;
    for (int i = 0; i < args.length; i++) {
      if (flag && args[i].equals("--json")) {
        return true;
      }
      if (!flag
          && (args[i].equals("--json=-")
              || (args[i].equals("--json") && i + 1 < args.length && args[i + 1].equals("-")))) {
        return true;
      }
    }
    return false;
  }

  /**
   * A parse error in the user's terms: an unknown option is named as such (picocli would otherwise
   * report its value as a stray model), with the options it probably meant.
   */
  static String usageMessage(CommandLine.ParameterException ex) {
    if (ex instanceof CommandLine.UnmatchedArgumentException u && u.isUnknownOption()) {
      List<String> unknown = new ArrayList<>();
      for (String arg : u.getUnmatched()) {
        if (arg.startsWith("-")) {
          int eq = arg.indexOf('=');
          unknown.add(eq > 0 ? arg.substring(0, eq) : arg);
        }
      }
      if (!unknown.isEmpty()) {
        String first = unknown.get(0);
        List<String> similar = similarOptions(ex.getCommandLine(), first, u.getSuggestions());
        return "unknown option"
            + (unknown.size() > 1 ? "s " : " ")
            + String.join(", ", unknown)
            + (similar.isEmpty() ? "" : "; did you mean " + orList(similar) + "?");
      }
    }
    if (ex.getCommandLine().getParent() == null
        && ex instanceof CommandLine.UnmatchedArgumentException u
        && !u.getUnmatched().isEmpty()
        && !u.getUnmatched().get(0).startsWith("-")) {
      return unknownCommand(ex.getCommandLine(), u.getUnmatched().get(0));
    }
    // picocli's help command says "Unknown subcommand 'x'." for 'portcheck help x'.
    if (ex.getCommandLine().getParent() == null
        && ex.getValue() != null
        && String.valueOf(ex.getMessage()).startsWith("Unknown subcommand")) {
      return unknownCommand(ex.getCommandLine(), ex.getValue());
    }
    String oneModel = oneModelCommand(ex.getCommandLine());
    if (oneModel != null) {
      if (ex instanceof CommandLine.UnmatchedArgumentException u) {
        return oneModel
            + " takes one model; unexpected extra argument"
            + (u.getUnmatched().size() > 1 ? "s " : " ")
            + String.join(", ", u.getUnmatched().stream().map(a -> "'" + a + "'").toList());
      }
      if (ex instanceof CommandLine.MissingParameterException m
          && m.getMissing().stream().anyMatch(a -> a.isPositional())) {
        return oneModel + " takes one model (got none)";
      }
    }
    return ex.getMessage();
  }

  /**
   * {@code unknown command 'x'; portcheck's commands are compare, …}, with the command it probably
   * meant: picocli would say "Unmatched argument at index 0".
   */
  private static String unknownCommand(CommandLine top, String typed) {
    List<String> commands =
        top.getSubcommands().keySet().stream().filter(c -> !c.equals("help")).toList();
    List<String> meant = ClosestNames.closest(typed, commands, 2);
    return "unknown command '"
        + typed
        + "'"
        + (meant.isEmpty() ? "" : " (did you mean " + orList(meant) + "?)")
        + "; portcheck's commands are "
        + String.join(", ", commands);
  }

  /** The name of a subcommand that takes exactly one positional MODEL, else null. */
  private static String oneModelCommand(CommandLine cl) {
    List<CommandLine.Model.PositionalParamSpec> pos = cl.getCommandSpec().positionalParameters();
    if (cl.getParent() == null || pos.size() != 1 || pos.get(0).arity().max() != 1) {
      return null;
    }
    return cl.getCommandName();
  }

  private static String orList(List<String> names) {
    if (names.size() == 1) {
      return names.get(0);
    }
    return String.join(", ", names.subList(0, names.size() - 1))
        + " or "
        + names.get(names.size() - 1);
  }

  /**
   * picocli's suggestions, plus the options whose name shares a word stem of three letters or more
   * with {@code unknown} ({@code --tolerance}: {@code --atol}, {@code --rtol}, {@code
   * --layer-tolerance}).
   */
  private static List<String> similarOptions(
      CommandLine cl, String unknown, List<String> suggestions) {
    Set<String> out = new LinkedHashSet<>();
    String bare = strip(unknown);
    for (OptionSpec o : cl.getCommandSpec().options()) {
      if (o.hidden()) {
        continue;
      }
      String name = o.longestName();
      String other = strip(name);
      if (other.length() >= 3 && sharesStem(bare, other)) {
        out.add(name);
      }
    }
    for (String s : suggestions) {
      if (s.startsWith("-")) {
        out.add(s);
      }
    }
    return new ArrayList<>(out).subList(0, Math.min(out.size(), 4));
  }

  private static String strip(String option) {
    return option.replaceFirst("^-+", "").toLowerCase(Locale.ROOT);
  }

  /** Whether some three-letter piece of one name's words occurs in the other. */
  private static boolean sharesStem(String a, String b) {
    for (String word : a.split("-")) {
      for (int i = 0; i + 3 <= word.length(); i++) {
        if (b.contains(word.substring(i, i + 3))) {
          return true;
        }
      }
    }
    return false;
  }
}
