package dev.portcheck.importers.api;

/**
 * The lifetime of the in-place {@linkplain Tensor#isView views} one run returned: they read buffers
 * the engine overwrites on the model's next run and frees when the model closes, so a view is valid
 * only while its scope is open and no later run of the same model has started. Reading a view
 * outside that throws {@link IllegalStateException} instead of silently returning another run's
 * numbers (or freed memory). Closing a scope twice is harmless.
 *
 * <p>A scope is checked when a tensor's values are obtained ({@link Tensor#floatBuffer()}, {@link
 * Tensor#toFloatArray()}, {@link Tensor#getFloat}), so a pass over a buffer pays the check once.
 */
public final class RunScope implements AutoCloseable {
  private final Sequence sequence;
  private final long generation;
  private volatile boolean closed;

  private RunScope(Sequence sequence, long generation) {
    this.sequence = sequence;
    this.generation = generation;
  }

  /**
   * Throws unless views of this scope may still be read.
   *
   * @param tensor the name of the tensor being read, for the message
   * @throws IllegalStateException naming {@code tensor} and why it is no longer valid
   */
  public void check(String tensor) {
    if (closed) {
      throw new IllegalStateException(
          "tensor '"
              + tensor
              + "' of "
              + sequence.model
              + " was read after its run result was closed; call detached() before closing to"
              + " keep it");
    }
    if (sequence.generation != generation) {
      throw new IllegalStateException(
          "tensor '"
              + tensor
              + "' was read after "
              + sequence.model
              + (sequence.closed ? " was closed" : " ran again")
              + "; call detached() to keep it");
    }
  }

  /** Whether views of this scope may still be read. */
  public boolean isOpen() {
    return !closed && sequence.generation == generation;
  }

  /** Ends this scope; its views throw when read. A second call does nothing. */
  @Override
  public void close() {
    closed = true;
  }

  /**
   * The scopes of one model's runs, in order: starting a run ends every earlier scope, because the
   * engine is about to overwrite the buffers their views read. One per model view.
   */
  public static final class Sequence {
    private final String model;
    private volatile long generation;
    private volatile boolean closed;

    /**
     * @param model how messages name the model (its file name)
     */
    public Sequence(String model) {
      this.model = model;
    }

    /** The scope of a run about to start; every earlier scope of this model ends. */
    public synchronized RunScope next() {
      generation++;
      return new RunScope(this, generation);
    }

    /** Ends every scope for good: the model closed and its buffers are released. */
    public synchronized void close() {
      closed = true;
      generation++;
    }
  }
}
