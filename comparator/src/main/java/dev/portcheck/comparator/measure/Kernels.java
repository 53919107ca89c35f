package dev.portcheck.comparator.measure;

import java.time.Duration;

/**
 * Which {@link Kernel} the process summarises with. The Vector API is only fast once C2 has
 * compiled the loops: interpreted, or compiled by C1, every vector operation allocates. Warming it
 * up costs about a second of CPU (ResNet-50 compared with itself as a whole process: 1.9 s with the
 * scalar kernel, 2.5 s with the vector one), which it wins back only over about a billion values
 * summarised. So the scalar kernel runs until the comparisons of the process have that many to
 * summarise ({@link #expect}); a warm-up thread then races the two kernels on a chunk of synthetic
 * values, and once the vector kernel wins the process uses it for good. Without the module ({@code
 * --add-modules jdk.incubator.vector}) or with {@code -Dportcheck.scalar=true}, the scalar kernel
 * runs throughout.
 */
public final class Kernels {
  private static final Kernel SCALAR = new ScalarKernel();

  /** The kernel {@link Kernel#get} hands out. */
  static volatile Kernel current = SCALAR;

  private static final Object LOCK = new Object();
  private static volatile boolean started;
  private static Thread warmer;

  /** Values a comparison must summarise (all probes, all models) for the warm-up to pay. */
  static final long WORTH_IT = 1_000_000_000L;

  /** Values the comparisons of this process have announced ({@link #expect}). */
  private static final java.util.concurrent.atomic.AtomicLong EXPECTED =
      new java.util.concurrent.atomic.AtomicLong();

  private Kernels() {}

  /**
   * Counts {@code values} that a comparison is about to summarise (all probes, all models) and
   * starts the warm-up once the process has counted {@link #WORTH_IT}: one big comparison, or many
   * smaller ones in one JVM (a test suite comparing exports).
   */
  public static void expect(long values) {
    if (EXPECTED.addAndGet(Math.max(0, values)) >= WORTH_IT) {
      warmUp();
    }
  }

  /**
   * Starts warming up the vector kernel on a daemon thread, once per process; returns at once.
   * {@link #expect} calls it after a comparison's first run, so that the warm-up overlaps the next
   * runs; a benchmark calls it before it times anything.
   */
  public static void warmUp() {
    if (started) {
      return;
    }
    synchronized (LOCK) {
      if (started) {
        return;
      }
      started = true;
      if (Boolean.getBoolean("portcheck.scalar")
          || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
        return;
      }
      warmer = new Thread(Kernels::race, "portcheck-kernel-warm-up");
      warmer.setDaemon(true);
      // Beside the probes' runs; until it is done, the scalar kernel does the work.
      warmer.setPriority(Thread.MIN_PRIORITY);
      warmer.start();
    }
  }

  /**
   * Waits until the kernel no longer changes (the vector kernel in use, or ruled out) or {@code
   * max} has passed, and names the kernel in use: {@code "vector"} or {@code "scalar"}. For tests
   * and measurements that must see one kernel throughout.
   */
  public static String awaitSettled(Duration max) throws InterruptedException {
    warmUp();
    Thread t;
    synchronized (LOCK) {
      t = warmer;
    }
    if (t != null) {
      t.join(Math.max(1, max.toMillis()));
    }
    return current instanceof VectorKernel ? "vector" : "scalar";
  }

  /** Times both kernels on one chunk until the vector one is faster three times in a row. */
  private static void race() {
    try {
      Kernel vector = new VectorKernel();
      float[] x = new float[Kernel.CHUNK];
      float[] y = new float[Kernel.CHUNK];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) Math.sin(i);
        y[i] = x[i] + 1e-6f * (i % 7);
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      int wins = 0;
      while (wins < 3 && System.nanoTime() < deadline) {
        // Mostly calls on one vector's worth of values: they count towards compilation as much
        // as a chunk does, at a fraction of the cost while they still run interpreted.
        for (int i = 0; i < 500; i++) {
          time(vector, x, y, 64);
        }
        long v = time(vector, x, y, x.length);
        long s = time(SCALAR, x, y, x.length);
        wins = v * 2 < s ? wins + 1 : 0;
      }
      if (wins == 3) {
        current = vector;
      }
    } catch (LinkageError | RuntimeException e) {
      // The scalar kernel stays.
    }
  }

  private static long time(Kernel k, float[] x, float[] y, int n) {
    long t0 = System.nanoTime();
    Moments m = new Moments(y[0]);
    PassSums s = new PassSums();
    k.stats(y, n, m);
    k.compare(x, y, n, 1e-4, 1e-3, 1e-4, s);
    if (s.outside < 0 || Double.isNaN(m.s1)) {
      throw new IllegalStateException("unreachable: keeps the work from being optimised away");
    }
    return System.nanoTime() - t0;
  }
}
