package dev.portcheck.comparator.measure;

/** The kernel in plain Java: one accumulator per sum, in element order. */
final class ScalarKernel implements Kernel {
  @Override
  public void stats(float[] y, int n, Moments s) {
    stats(y, 0, n, s);
  }

  @Override
  public void compare(
      float[] x, float[] y, int n, double atol, double rtol, double floor, PassSums s) {
    compare(x, y, 0, n, atol, rtol, floor, s);
  }

  /**
   * {@link #stats(float[], int, Moments)} on {@code y[from..to)}: also the vector kernel's tail.
   */
  static void stats(float[] y, int from, int to, Moments s) {
    double shift = s.shift;
    double s1 = 0;
    double s2 = 0;
    float lo = s.lo;
    float hi = s.hi;
    for (int i = from; i < to; i++) {
      float v = y[i];
      double d = v - shift;
      s1 += d;
      s2 += d * d;
      // Not Math.min/max: their NaN and -0.0 rules cost a branch each, and a NaN is redone by
      // the careful pass anyway.
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    s.s1 += s1;
    s.s2 += s2;
    s.lo = lo;
    s.hi = hi;
  }

  /**
   * {@link #compare(float[], float[], int, double, double, double, PassSums)} on {@code [from,
   * to)}.
   */
  static void compare(
      float[] x, float[] y, int from, int to, double atol, double rtol, double floor, PassSums s) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    double mAbs = s.maxAbs;
    double mRel = s.maxRel;
    double mScale = s.scale;
    long out = 0;
    for (int i = from; i < to; i++) {
      double xd = x[i];
      double yd = y[i];
      dot += xd * yd;
      na += xd * xd;
      nb += yd * yd;
      double ax = Math.abs(xd);
      mScale = ax > mScale ? ax : mScale;
      double d = Math.abs(yd - xd);
      mAbs = d > mAbs ? d : mAbs;
      double rel = d / (ax > floor ? ax : floor);
      mRel = rel > mRel ? rel : mRel;
      // Counted without a branch: near the tolerance the outcome is random.
      out += d > atol + rtol * ax ? 1 : 0;
    }
    s.dot += dot;
    s.na += na;
    s.nb += nb;
    s.maxAbs = mAbs;
    s.maxRel = mRel;
    s.scale = mScale;
    s.outside += out;
  }
}
