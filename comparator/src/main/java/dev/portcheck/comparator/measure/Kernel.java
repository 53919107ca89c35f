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

  /** The kernel of this process: the vector one when its module is present. */
  static Kernel get() {
    return Holder.KERNEL;
  }

  /** Resolved once, on first use. */
  final class Holder {
    static final Kernel KERNEL = choose();

    private Holder() {}

    private static Kernel choose() {
      // Without the module in the boot layer, touching VectorKernel would fail to link.
      if (Boolean.getBoolean("portcheck.scalar")
          || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
        return new ScalarKernel();
      }
      try {
        return new VectorKernel();
      } catch (LinkageError | RuntimeException e) {
        return new ScalarKernel();
      }
    }
  }
}
