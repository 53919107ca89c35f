package dev.portcheck.cli;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.baseline.Baseline;
import dev.portcheck.comparator.probe.InputMatching;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.TensorInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Refuses, before anything runs, models whose declared inputs cannot take the same probe, naming
 * both sides: otherwise the engine of the second model reports a shape error that says neither
 * where the other shape came from nor which side is which. Only certain misfits are refused: both
 * shapes known, of the same rank, and no reordering of the axes (the NCHW to NHWC conversion
 * compare and check make) fits them; inputs are matched as the probes are.
 */
final class InputFit {
  private InputFit() {}

  /**
   * Every model's declared inputs against those of the first model that takes the same input,
   * matched as the probes are (by name, then by position; per-model inputs alone).
   */
  static void requireSameInputs(List<ModelView> views, CompareOptions options) {
    if (views.stream().anyMatch(v -> !v.runnable())) {
      // A weights-only checkpoint takes no inputs: the comparison is static, nothing is fed.
      return;
    }
    Set<String> perModel = InputMatching.perModelKeys(options, options.probes());
    for (InputMatching.Match match : InputMatching.match(views, perModel)) {
      int r = match.firstModel();
      TensorInfo a = match.inputs().get(r);
      for (int m = r + 1; m < views.size(); m++) {
        TensorInfo b = match.inputs().get(m);
        if (b != null && !fits(a.shape(), b.shape())) {
          throw PortcheckException.of(
              PortcheckException.Reason.BAD_INPUT,
              "m"
                  + r
                  + " "
                  + views.get(r).source()
                  + " declares input '"
                  + a.name()
                  + "' as "
                  + shown(a.shape())
                  + "; m"
                  + m
                  + " "
                  + views.get(m).source()
                  + " declares its input '"
                  + b.name()
                  + "' as "
                  + shown(b.shape())
                  + ", which no reordering of the axes fits: the models do not take the same"
                  + " inputs. Compare a port with the model it was ported from, or feed inputs"
                  + " that differ per model with --input m"
                  + m
                  + ":"
                  + b.name()
                  + "=SPEC.",
              null);
        }
      }
    }
  }

  /** The baseline's recorded probe inputs against the model's declared inputs. */
  static void requireFit(Baseline baseline, Path baselineFile, ModelView view) {
    for (Baseline.ProbeRecord probe : baseline.probes()) {
      for (Baseline.ProbeInput in : probe.inputs()) {
        if (in.position() >= view.inputs().size()) {
          continue;
        }
        TensorInfo declared = view.inputs().get(in.position());
        if (!fits(in.shape(), declared.shape())) {
          throw PortcheckException.of(
              PortcheckException.Reason.BAD_INPUT,
              "the baseline "
                  + baselineFile
                  + " recorded input '"
                  + in.name()
                  + "' as "
                  + in.shape()
                  + "; the model "
                  + view.source()
                  + " declares its input '"
                  + declared.name()
                  + "' as "
                  + shown(declared.shape())
                  + ", which no reordering of the axes fits. Check the model against a baseline"
                  + " recorded from a model with the same inputs.",
              null);
        }
      }
    }
  }

  /**
   * Whether a probe can fit both shapes: either is unknown, the ranks differ (left to the probe
   * builder, which may add a batch axis), or some order of {@code a}'s sizes matches {@code b}'s
   * (-1 on either side matches any size).
   */
  static boolean fits(List<Long> a, List<Long> b) {
    if (a == null || b == null || a.size() != b.size()) {
      return true;
    }
    return match(a, b, 0, new boolean[a.size()]);
  }

  private static boolean match(List<Long> a, List<Long> b, int i, boolean[] used) {
    if (i == b.size()) {
      return true;
    }
    for (int j = 0; j < a.size(); j++) {
      long x = a.get(j);
      long y = b.get(i);
      if (!used[j] && (x < 0 || y < 0 || x == y)) {
        used[j] = true;
        if (match(a, b, i + 1, used)) {
          return true;
        }
        used[j] = false;
      }
    }
    return false;
  }

  private static String shown(List<Long> shape) {
    return shape + (shape.contains(-1L) ? " (-1 = any size)" : "");
  }
}
