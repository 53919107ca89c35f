package dev.portcheck.comparator.measure;

/**
 * The inner loops of a pass over activations, on one chunk of values at a time. Two kernels compute
 * the same figures: a scalar one, and one on the JDK's Vector API where the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (portcheck's launcher does; a library caller may). The
 * vector kernel sums in lanes, so its sums differ from the scalar kernel's in their last bits;
 * within one process every pass uses the same kernel and the same chunks, so a tensor's statistics
 * do not depend on whether they were taken alone or inside a comparison.
 */
sealed interface Kernel permits ScalarKernel, VectorKernel {
  /** Values per chunk: a multiple of every vector length, and two chunks fit in L1. */
  int CHUNK = 2048;

  /** Adds {@code y[0..n)} to the shifted sums and extremes of {@code s}. */
  void stats(float[] y, int n, Moments s);

  /**
   * Compares {@code y[0..n)} with {@code x[0..n)} into {@code s}. Non-finite values are not treated
   * apart: they make the sums non-finite, and the caller redoes the tensor carefully.
   */
  void compare(float[] x, float[] y, int n, double atol, double rtol, double floor, PassSums s);

  /**
   * The kernel to use now: the scalar one until the vector one, warmed up on a thread of its own
   * (see {@link Kernels#warmUp}), runs faster; then the vector one for the rest of the process.
   * Callers take it once per pass, so that one tensor's sums come from one kernel.
   */
  static Kernel get() {
    return Kernels.current;
  }
}
