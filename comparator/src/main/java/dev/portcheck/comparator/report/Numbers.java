package dev.portcheck.comparator.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/** Number formatting shared by explanations and renderers. */
public final class Numbers {
  private Numbers() {}

  /** Rounds to {@code digits} significant digits. */
  public static double round(double v, int digits) {
    if (!Double.isFinite(v) || v == 0) {
      return v;
    }
    return new BigDecimal(v).round(new MathContext(digits)).doubleValue();
  }

  /**
   * Compact text: {@code 0.001}, {@code 1e-05}, {@code 0.0123}, {@code 3.2e+04}; NaN and infinities
   * spelled out.
   */
  public static String format(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Infinity" : "-Infinity";
    }
    if (v == 0) {
      return "0";
    }
    double a = Math.abs(v);
    if (a >= 1e-3 && a < 1e5) {
      return new BigDecimal(round(v, 4))
          .round(new MathContext(4))
          .stripTrailingZeros()
          .toPlainString();
    }
    String s = String.format(Locale.ROOT, "%.3e", v);
    int e = s.indexOf('e');
    String mant = s.substring(0, e).replaceAll("0+$", "").replaceAll("\\.$", "");
    int exp = Integer.parseInt(s.substring(e + 1));
    return mant + "e" + (exp < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exp));
  }
}
