package dev.portcheck.comparator.probe;

import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.TensorInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which input of each model takes which probe input. A TensorFlow signature has no input order (its
 * inputs come back sorted by name) and exporters reorder inputs, so inputs are matched by name
 * first (exactly, then normalised: {@code input_ids:0} and {@code serving_default_input_ids} are
 * {@code input_ids}), and by position only among those left. An input given per model ({@code
 * --input m1:state=zeros}, {@code --value m1:sr=16000}) is fed to that model alone and takes no
 * part in the matching: recurrent state, a KV cache or context samples that only one export takes.
 */
public final class InputMatching {
  private static final Pattern PER_MODEL = Pattern.compile("m(\\d+):(.+)");

  private InputMatching() {}

  /**
   * One probe input: the input each model takes it as ({@code null} for a model that does not).
   *
   * @param inputs by model index, {@code null} where the model has no such input
   * @param perModel the index of the only model fed this input when it was named per model, else -1
   */
  public record Match(List<TensorInfo> inputs, int perModel) {
    public Match {
      inputs = Collections.unmodifiableList(new ArrayList<>(inputs));
    }

    /** The input's name in model {@code m}, or null. */
    public String name(int m) {
      TensorInfo t = inputs.get(m);
      return t == null ? null : t.name();
    }

    /** The first model that takes this input. */
    public int firstModel() {
      for (int m = 0; m < inputs.size(); m++) {
        if (inputs.get(m) != null) {
          return m;
        }
      }
      throw new IllegalStateException("an input no model takes");
    }

    /** The keys under which a probe or option names this input: its names, or {@code mK:NAME}. */
    public List<String> keys() {
      List<String> keys = new ArrayList<>();
      if (perModel >= 0) {
        keys.add("m" + perModel + ":" + name(perModel));
        return keys;
      }
      for (TensorInfo t : inputs) {
        if (t != null && !keys.contains(t.name())) {
          keys.add(t.name());
        }
      }
      return keys;
    }
  }

  /**
   * The matched inputs of {@code models}: per-model inputs first, then those of the reference in
   * its order (each with its counterpart in every other model).
   *
   * @param perModelKeys option keys that may name a per-model input ({@code m1:state}); others are
   *     ignored
   * @throws PortcheckException USAGE when a per-model key names no input of its model, or when a
   *     model takes an input that no other model takes and that was not given per model
   */
  public static List<Match> match(List<ModelView> models, Set<String> perModelKeys) {
    int n = models.size();
    List<Match> out = new ArrayList<>();
    List<List<TensorInfo>> left = new ArrayList<>();
    for (ModelView m : models) {
      left.add(new ArrayList<>(m.inputs()));
    }
    for (String key : perModelKeys) {
      Matcher km = PER_MODEL.matcher(key);
      if (!km.matches()) {
        continue;
      }
      int m = Integer.parseInt(km.group(1));
      String name = km.group(2);
      if (m >= n) {
        throw PortcheckException.usage(
            "'"
                + key
                + "' names model m"
                + m
                + " but there are "
                + n
                + " model(s), m0 to m"
                + (n - 1)
                + "; the first model given is m0.");
      }
      TensorInfo found = null;
      for (TensorInfo t : models.get(m).inputs()) {
        if (t.name().equals(name)) {
          found = t;
        }
      }
      if (found == null) {
        throw PortcheckException.usage(
            "'"
                + key
                + "': m"
                + m
                + " "
                + models.get(m).source()
                + " has no input '"
                + name
                + "'; its inputs are "
                + models.get(m).inputs().stream().map(TensorInfo::name).toList()
                + ".");
      }
      if (left.get(m).remove(found)) {
        List<TensorInfo> row = new ArrayList<>(Collections.nCopies(n, null));
        row.set(m, found);
        out.add(new Match(row, m));
      }
    }
    List<TensorInfo[]> rows = new ArrayList<>();
    for (TensorInfo ref : left.get(0)) {
      TensorInfo[] row = new TensorInfo[n];
      row[0] = ref;
      rows.add(row);
    }
    // Names first, exact then normalised, so that a sorted TF signature meets the right inputs.
    for (int pass = 0; pass < 2; pass++) {
      for (int m = 1; m < n; m++) {
        for (TensorInfo[] row : rows) {
          if (row[m] != null) {
            continue;
          }
          for (TensorInfo t : left.get(m)) {
            boolean same =
                pass == 0
                    ? t.name().equals(row[0].name())
                    : normalised(t.name()).equals(normalised(row[0].name()));
            if (same) {
              row[m] = t;
              left.get(m).remove(t);
              break;
            }
          }
        }
      }
    }
    // Then by position among the inputs no name matched.
    for (int m = 1; m < n; m++) {
      for (TensorInfo[] row : rows) {
        if (row[m] == null && !left.get(m).isEmpty()) {
          row[m] = left.get(m).remove(0);
        }
      }
    }
    for (int m = 1; m < n; m++) {
      if (!left.get(m).isEmpty()) {
        throw unmatched(models, m, left.get(m).get(0), 0);
      }
    }
    for (TensorInfo[] row : rows) {
      for (int m = 1; m < n; m++) {
        if (row[m] == null) {
          throw unmatched(models, 0, row[0], m);
        }
      }
      out.add(new Match(java.util.Arrays.asList(row), -1));
    }
    return List.copyOf(out);
  }

  /** Every key of {@code options} (probes, shapes, values) that names an input per model. */
  public static Set<String> perModelKeys(ProbeSettings options, List<Probe> probes) {
    Set<String> keys = new LinkedHashSet<>();
    for (Probe p : probes) {
      keys.addAll(p.byInput().keySet());
    }
    keys.addAll(options.integerValues().keySet());
    keys.addAll(options.shapes().keySet());
    keys.removeIf(k -> !PER_MODEL.matcher(k).matches());
    return keys;
  }

  /** Whether {@code key} names an input of one model ({@code m1:state}). */
  static boolean isPerModel(String key) {
    return PER_MODEL.matcher(key).matches();
  }

  private static PortcheckException unmatched(
      List<ModelView> models, int has, TensorInfo input, int lacks) {
    ModelView a = models.get(has);
    ModelView b = models.get(lacks);
    return PortcheckException.usage(
        "m"
            + has
            + " "
            + a.source()
            + " takes input '"
            + input.name()
            + "', which m"
            + lacks
            + " "
            + b.source()
            + " does not take (its inputs: "
            + b.inputs().stream().map(TensorInfo::name).toList()
            + "; inputs are matched by name, then by position); feed it to that model alone with"
            + " --input m"
            + has
            + ":"
            + input.name()
            + "=SPEC (ones, zeros, random:SEED or a .npy file)"
            + (input.dtype().isFloating() ? "" : " or --value m" + has + ":" + input.name() + "=N")
            + ".");
  }

  /** A name without engine decorations: lower case, no {@code :0}, no signature prefix. */
  static String normalised(String name) {
    String s = name.toLowerCase(Locale.ROOT);
    s = s.replaceFirst(":\\d+$", "");
    s = s.replaceFirst("^serving_default_", "");
    return s.replaceAll("[^a-z0-9]", "");
  }

  /** For messages: the names of one match by model id. */
  static String describe(Match match) {
    StringBuilder b = new StringBuilder();
    for (int m = 0; m < match.inputs().size(); m++) {
      if (match.name(m) != null) {
        b.append(b.length() == 0 ? "" : " / ").append("m").append(m).append(" '");
        b.append(match.name(m)).append("'");
      }
    }
    return b.toString();
  }
}
