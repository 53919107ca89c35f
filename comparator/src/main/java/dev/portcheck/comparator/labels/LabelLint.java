package dev.portcheck.comparator.labels;

import dev.portcheck.comparator.labels.LabelFinding.Kind;
import dev.portcheck.comparator.labels.LabelFinding.Severity;
import dev.portcheck.importers.api.PortcheckException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks one label file against one model's output size: name count versus output count (with the
 * TF-slim background class in mind), duplicates, blank names, alphabetical order and a background
 * entry at index 0.
 */
public final class LabelLint {
  /** Messages list at most this many duplicated names; the rest are counted. */
  private static final int MAX_DUPLICATES_SHOWN = 5;

  private LabelLint() {}

  /**
   * Lints {@code labels} for a classifier with {@code outputs} classes (the last dimension of its
   * output).
   *
   * @throws PortcheckException (USAGE) if {@code outputs} is not positive
   */
  public static LabelLintReport lint(LabelFile labels, int outputs) {
    return lint(labels, outputs, null);
  }

  /**
   * Lints {@code labels} for a classifier with {@code outputs} classes, saying where names are
   * missing or to spare as {@code located} found it.
   *
   * @param located this file's count difference as a comparison with another model's label file
   *     located it (see {@link LabelPair#counts()}), or null to judge the file on its own: then
   *     names are taken to start at output 0 unless the file itself says otherwise (a leading
   *     background entry; 1000 names for 1001 outputs, TF-slim's ImageNet layout)
   * @throws PortcheckException (USAGE) if {@code outputs} is not positive
   */
  public static LabelLintReport lint(LabelFile labels, int outputs, LabelCount located) {
    if (outputs <= 0) {
      throw PortcheckException.usage(
          labels.source()
              + ": cannot check labels against a model with "
              + outputs
              + " outputs; the classifier output's last dimension must be positive.");
    }
    List<LabelFinding> findings = new ArrayList<>();
    count(labels, outputs, located, findings);
    blanks(labels, findings);
    duplicates(labels, findings);
    sorted(labels, findings);
    findings.sort(Comparator.comparing(LabelFinding::severity));
    return new LabelLintReport(labels.source(), labels.size(), outputs, findings);
  }

  /** Whether {@code name} is how label files spell a background class. */
  static boolean isBackground(String name) {
    if (name == null) {
      return false;
    }
    String n = name.toLowerCase(Locale.ROOT).replace('_', ' ').strip();
    return n.equals("background") || n.equals("unused background");
  }

  /** ImageNet's class count: TF-slim models have one more output, background, at index 0. */
  private static final int IMAGENET_CLASSES = 1000;

  private static void count(
      LabelFile labels, int outputs, LabelCount located, List<LabelFinding> out) {
    int names = labels.size();
    String file = labels.fileName();
    boolean backgroundFirst = names > 0 && isBackground(labels.names().get(0));
    if (names == outputs) {
      if (backgroundFirst) {
        out.add(
            new LabelFinding(
                Severity.INFO,
                Kind.BACKGROUND,
                file
                    + " starts with '"
                    + labels.names().get(0)
                    + "': this model has a background class at output 0 (TF-slim style), so its"
                    + " real classes start at output 1; a port without it has "
                    + (outputs - 1)
                    + " outputs, one index lower"));
      }
      return;
    }
    String head = file + " has " + names + " names but the model has " + outputs + " outputs: ";
    String msg;
    if (located != null && located.located() && located.names() == names) {
      msg = head + located.description();
    } else if (outputs > names) {
      int k = outputs - names;
      msg =
          head
              + (k == 1 && names == IMAGENET_CLASSES
                  ? "1000 names for 1001 outputs is TF-slim's ImageNet layout, so a leading"
                      + " 'background' class is likely missing, which puts every name off by one;"
                      + " add 'background' as the first line"
                  : "names are read from output 0, so "
                      + (k == 1
                          ? "the last name is missing (output " + (outputs - 1) + " has none)"
                          : "the last "
                              + k
                              + " names are missing (outputs "
                              + names
                              + "-"
                              + (outputs - 1)
                              + " have none)")
                      + "; add "
                      + (k == 1 ? "it" : "them")
                      + " at the end. If the model instead has "
                      + (k == 1 ? "a leading class" : k + " leading classes")
                      + " the file leaves out (TF-slim's 'background'), every name is off by "
                      + k
                      + ": add "
                      + (k == 1 ? "a line" : k + " lines")
                      + " at the top. 'portcheck compare --labels' with the original model and"
                      + " its label file tells which");
    } else {
      int k = names - outputs;
      msg =
          head
              + (backgroundFirst
                  ? "its first entry '"
                      + labels.names().get(0)
                      + "' is a class this model does not have (a TF-slim label file), so every"
                      + " name is off by "
                      + k
                      + "; remove the first "
                      + (k == 1 ? "line" : k + " lines")
                  : "names are read from output 0, so "
                      + (k == 1 ? "an extra name at the end (" : k + " extra names at the end (")
                      + NameShift.quoted(labels.names().subList(outputs, names))
                      + ") names no output; remove "
                      + (k == 1 ? "it" : "them")
                      + ", or check that the file belongs to this model. If the extra "
                      + (k == 1 ? "name is" : "names are")
                      + " at the start instead, every name is off by "
                      + k
                      + "; 'portcheck compare --labels' with the original model and its label"
                      + " file tells which");
    }
    out.add(new LabelFinding(Severity.ERROR, Kind.COUNT, msg));
  }

  private static void blanks(LabelFile labels, List<LabelFinding> out) {
    for (int i = 0; i < labels.size(); i++) {
      if (labels.names().get(i).isBlank()) {
        out.add(
            new LabelFinding(
                Severity.ERROR,
                Kind.BLANK,
                labels.fileName()
                    + ": "
                    + labels.position(i)
                    + " is blank, so output "
                    + i
                    + " would be reported without a name; give it one"));
      }
    }
  }

  private static void duplicates(LabelFile labels, List<LabelFinding> out) {
    Map<String, List<Integer>> where = new LinkedHashMap<>();
    for (int i = 0; i < labels.size(); i++) {
      String n = labels.names().get(i);
      if (!n.isBlank()) {
        where.computeIfAbsent(n, k -> new ArrayList<>()).add(i);
      }
    }
    List<String> shown = new ArrayList<>();
    int dupes = 0;
    for (Map.Entry<String, List<Integer>> e : where.entrySet()) {
      if (e.getValue().size() < 2) {
        continue;
      }
      dupes++;
      if (shown.size() < MAX_DUPLICATES_SHOWN) {
        shown.add(
            "'"
                + e.getKey()
                + "' at "
                + String.join(", ", e.getValue().stream().map(labels::position).toList()));
      }
    }
    if (dupes == 0) {
      return;
    }
    out.add(
        new LabelFinding(
            Severity.WARNING,
            Kind.DUPLICATE,
            labels.fileName()
                + " repeats "
                + dupes
                + (dupes == 1 ? " name: " : " names: ")
                + String.join("; ", shown)
                + (dupes > shown.size() ? "; and " + (dupes - shown.size()) + " more" : "")
                + ". Those outputs cannot be told apart by name; intentional in some datasets"
                + " (ImageNet-1k has 'crane' and 'maillot' twice), otherwise a line was pasted"
                + " twice or one is misspelt"));
  }

  private static void sorted(LabelFile labels, List<LabelFinding> out) {
    List<String> names = labels.names();
    // A leading background entry is never part of the alphabetical run, so judge the rest.
    List<String> body =
        !names.isEmpty() && isBackground(names.get(0)) ? names.subList(1, names.size()) : names;
    if (body.size() < 3 || body.stream().distinct().count() < 3) {
      return;
    }
    if (isAlphabetical(body)) {
      out.add(
          new LabelFinding(
              Severity.WARNING,
              Kind.SORTED,
              labels.fileName()
                  + ": names are in alphabetical order; a model's training order rarely is —"
                  + " check it was not produced by sorting class folders (it is right only if"
                  + " the model was trained on folders sorted the same way, as torchvision's"
                  + " ImageFolder does)"));
    }
  }

  /** Sorted by code point (Python's sorted, ls in the C locale) or ignoring case. */
  static boolean isAlphabetical(List<String> names) {
    return isSorted(names, Comparator.naturalOrder())
        || isSorted(names, String.CASE_INSENSITIVE_ORDER);
  }

  private static boolean isSorted(List<String> names, Comparator<String> order) {
    for (int i = 1; i < names.size(); i++) {
      if (order.compare(names.get(i - 1), names.get(i)) > 0) {
        return false;
      }
    }
    return true;
  }
}
