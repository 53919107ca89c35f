package dev.portcheck.importers.api;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense tensor copied out of an engine into the Java heap, so that no native handle outlives the
 * call that produced it. Floating types are held as {@code float}, integer and boolean types as
 * {@code long}. Instances are immutable: the arrays are copied in and never handed out.
 *
 * <p>The exception is a {@linkplain #isView() view}: float values read in place from a buffer an
 * engine writes into, returned only by {@link ModelView#runInPlace}. It is valid while its {@link
 * RunScope} is: reading it after its {@link RunResult} closed or after the model ran again throws
 * {@link IllegalStateException}; {@link #detached()} copies one that must be kept.
 */
public final class Tensor {
  private final DType dtype;
  private final long[] shape;
  private final float[] floats;
  private final long[] longs;
  private final FloatBuffer view;
  private final RunScope scope;
  private final String name;

  private Tensor(DType dtype, long[] shape, float[] floats, long[] longs) {
    this(dtype, shape, floats, longs, null, null, null);
  }

  private Tensor(
      DType dtype,
      long[] shape,
      float[] floats,
      long[] longs,
      FloatBuffer view,
      RunScope scope,
      String name) {
    this.dtype = Objects.requireNonNull(dtype, "dtype");
    this.shape = shape.clone();
    this.floats = floats;
    this.longs = longs;
    this.view = view;
    this.scope = scope;
    this.name = name;
    long n = elementCount(this.shape);
    long have = floats != null ? floats.length : longs != null ? longs.length : view.limit();
    if (n != have) {
      throw new IllegalArgumentException(
          "shape "
              + Arrays.toString(shape)
              + " holds "
              + n
              + " elements but "
              + have
              + " were given");
    }
  }

  /** A {@link DType#FLOAT32} tensor; {@code data} is copied. */
  public static Tensor ofFloats(long[] shape, float[] data) {
    return new Tensor(DType.FLOAT32, shape, data.clone(), null);
  }

  /**
   * A floating tensor that takes ownership of {@code data} without copying. For importers that have
   * just copied the values out of an engine and will not touch the array again.
   */
  public static Tensor wrapFloats(DType dtype, long[] shape, float[] data) {
    if (!dtype.isFloating()) {
      throw new IllegalArgumentException(dtype + " is not a floating type");
    }
    return new Tensor(dtype, shape, data, null);
  }

  /**
   * A floating tensor read in place from {@code data} (positions 0 to its limit), without copying:
   * for importers whose engine writes a run's outputs into buffers they reuse. It may be read while
   * {@code scope} is open (the importer keeps the buffer readable and unchanged that long); after
   * that, reading it throws {@link IllegalStateException} naming {@code name}.
   *
   * @param name the tensor's name (layer or output), for that message
   */
  public static Tensor view(
      DType dtype, long[] shape, FloatBuffer data, RunScope scope, String name) {
    if (!dtype.isFloating()) {
      throw new IllegalArgumentException(dtype + " is not a floating type");
    }
    FloatBuffer v = data.duplicate().position(0).asReadOnlyBuffer();
    return new Tensor(
        dtype,
        shape,
        null,
        null,
        v,
        Objects.requireNonNull(scope, "scope"),
        Objects.requireNonNull(name, "name"));
  }

  /** Whether the values are read in place from an engine's buffer ({@link #view}). */
  public boolean isView() {
    return view != null;
  }

  /**
   * This tensor with its values in the Java heap: itself unless it is a {@linkplain #isView view}.
   *
   * @throws IllegalStateException for a view whose {@link RunScope} has ended
   */
  public Tensor detached() {
    return view == null ? this : new Tensor(dtype, shape, toFloatArray(), null);
  }

  /** Checks, for a view, that its run's scope is still open; one check per pass over the values. */
  private void checkLive() {
    if (scope != null) {
      scope.check(name);
    }
  }

  /** An integer or boolean tensor; {@code data} is copied. */
  public static Tensor ofLongs(DType dtype, long[] shape, long[] data) {
    if (dtype.isFloating()) {
      throw new IllegalArgumentException(dtype + " is a floating type; use ofFloats");
    }
    return new Tensor(dtype, shape, null, data.clone());
  }

  /** The most elements one tensor can hold (a Java array's limit). */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  /**
   * A FLOAT32 tensor of the given shape filled with {@code value}.
   *
   * @throws PortcheckException NOT_RUNNABLE when the shape holds more than {@link #MAX_ELEMENTS}
   */
  public static Tensor filled(long[] shape, float value) {
    long n;
    try {
      n = elementCount(shape);
    } catch (ArithmeticException e) {
      n = Long.MAX_VALUE;
    }
    if (n > MAX_ELEMENTS) {
      throw PortcheckException.of(
          PortcheckException.Reason.NOT_RUNNABLE,
          "an input of shape "
              + Arrays.toString(shape)
              + " holds "
              + (n == Long.MAX_VALUE ? "over 2^63" : Long.toString(n))
              + " elements, more than the "
              + MAX_ELEMENTS
              + " portcheck can feed; give a smaller shape with --shape NAME=DIMS",
          null);
    }
    float[] data = new float[(int) n];
    Arrays.fill(data, value);
    return new Tensor(DType.FLOAT32, shape, data, null);
  }

  /** Number of elements a shape holds. */
  public static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("dynamic dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public DType dtype() {
    return dtype;
  }

  /** A copy of the shape. */
  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public int size() {
    return floats != null ? floats.length : longs != null ? longs.length : view.limit();
  }

  /**
   * Element {@code i} in row-major order, as a float. For a view this checks its scope on every
   * call: loops over many elements read {@link #floatBuffer()} (one check) instead.
   */
  public float getFloat(int i) {
    if (floats != null) {
      return floats[i];
    }
    if (longs != null) {
      return longs[i];
    }
    checkLive();
    return view.get(i);
  }

  /** Element {@code i} in row-major order, as a long (floating values are truncated). */
  public long getLong(int i) {
    return longs != null ? longs[i] : (long) getFloat(i);
  }

  /**
   * A read-only view of floating data, for fast sequential reads; throws for integer tensors. For a
   * {@linkplain #isView view} the scope is checked here, once: use the buffer within one pass and
   * before the model runs again.
   */
  public FloatBuffer floatBuffer() {
    if (view != null) {
      checkLive();
      return view.duplicate();
    }
    if (floats == null) {
      throw new IllegalStateException(dtype + " tensor has no float data");
    }
    return FloatBuffer.wrap(floats).asReadOnlyBuffer();
  }

  /** A copy of the values as floats. */
  public float[] toFloatArray() {
    if (floats != null) {
      return floats.clone();
    }
    if (view != null) {
      checkLive();
      float[] out = new float[view.limit()];
      view.get(0, out);
      return out;
    }
    float[] out = new float[longs.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = longs[i];
    }
    return out;
  }

  /** A copy of the values as longs. */
  public long[] toLongArray() {
    if (longs != null) {
      return longs.clone();
    }
    float[] f = toFloatArray();
    long[] out = new long[f.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (long) f[i];
    }
    return out;
  }

  /** The same values viewed with another shape of equal element count. */
  public Tensor reshape(long[] newShape) {
    return new Tensor(dtype, newShape, floats, longs, view, scope, name);
  }

  /**
   * Axes permuted: {@code result.shape[i] == shape[perm[i]]}, as numpy's {@code transpose(perm)}.
   */
  public Tensor transpose(int... perm) {
    int r = shape.length;
    if (perm.length != r) {
      throw new IllegalArgumentException(
          "permutation " + Arrays.toString(perm) + " does not fit rank " + r);
    }
    boolean[] seen = new boolean[r];
    long[] newShape = new long[r];
    for (int i = 0; i < r; i++) {
      if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]) {
        throw new IllegalArgumentException(
            "permutation " + Arrays.toString(perm) + " is not a permutation of 0.." + (r - 1));
      }
      seen[perm[i]] = true;
      newShape[i] = shape[perm[i]];
    }
    if (r == 0) {
      return this;
    }
    if (view != null) {
      return detached().transpose(perm);
    }
    int n = size();
    float[] f = floats != null ? new float[n] : null;
    long[] l = longs != null ? new long[n] : null;
    if (n > 0) {
      Transposition.of(shape, perm).copy(floats, f, longs, l);
    }
    return new Tensor(dtype, newShape, f, l);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && Arrays.equals(floatsForEquality(), t.floatsForEquality())
        && Arrays.equals(longs, t.longs);
  }

  private float[] floatsForEquality() {
    return view != null ? toFloatArray() : floats;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        dtype,
        Arrays.hashCode(shape),
        Arrays.hashCode(floatsForEquality()),
        Arrays.hashCode(longs));
  }

  @Override
  public String toString() {
    return "Tensor[" + dtype + " " + Arrays.toString(shape) + "]";
  }
}
