package dev.portcheck.comparator.measure;

import dev.portcheck.comparator.report.PairMetrics;
import dev.portcheck.comparator.report.Tolerance;

/**
 * Compares a model's activations with recorded summaries ({@link Sketch}es), one probe at a time:
 * each statistic and quantile is held to the tolerance ({@code |Δ| <= atol + rtol·|recorded|}).
 * This catches shifted, rescaled or broken tensors but not a reordering of the same values, and
 * says nothing about the angle between them: there is no cosine. {@code maxAbsDiff} is the largest
 * difference of any statistic; for the quantiles a lower bound of the element-wise one.
 */
public final class SummaryDiff implements ActivationDiff {
  private final Tolerance tol;
  private double maxAbs;
  private double maxRel;
  private double scale;
  private long nan;
  private int checked;
  private int outside;
  private boolean used;
  private String sizeMismatch;

  /** Compares within {@code tol}, statistic by statistic. */
  public SummaryDiff(Tolerance tol) {
    this.tol = tol;
  }

  /** Compares one probe: the recorded summary with the model's. */
  public void add(Sketch recorded, Sketch other) {
    if (recorded.count() != other.count()) {
      sizeMismatch = recorded.shape() + " vs " + other.shape();
      return;
    }
    used = true;
    scale = Math.max(scale, Math.max(Math.abs(recorded.min()), Math.abs(recorded.max())));
    nan +=
        Math.abs(recorded.nanCount() - other.nanCount())
            + Math.abs(recorded.infCount() - other.infCount());
    compare(recorded.mean(), other.mean());
    compare(recorded.std(), other.std());
    compare(recorded.min(), other.min());
    compare(recorded.max(), other.max());
    for (int q = 0; q < recorded.quantiles().size() && q < other.quantiles().size(); q++) {
      compare(recorded.quantiles().get(q), other.quantiles().get(q));
    }
  }

  private void compare(double ref, double value) {
    checked++;
    if (Double.isNaN(ref) && Double.isNaN(value)) {
      return;
    }
    double d = Math.abs(value - ref);
    if (Double.isNaN(d)) {
      outside++;
      return;
    }
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(ref), Math.max(tol.atol(), 1e-30)));
    if (!tol.close(value, ref)) {
      outside++;
    }
  }

  @Override
  public boolean isEmpty() {
    return !used;
  }

  @Override
  public String sizeMismatch() {
    return sizeMismatch;
  }

  @Override
  public PairMetrics toMetrics() {
    boolean within = outside == 0 && nan == 0;
    return new PairMetrics(
        "quantiles",
        false,
        maxAbs,
        maxRel,
        Double.NaN,
        checked == 0 ? 0 : (double) outside / checked,
        nan,
        within,
        scale,
        0);
  }
}
