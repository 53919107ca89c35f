package dev.portcheck.importers.api;

/** Element type of a tensor, as declared by the model. */
public enum DType {
  FLOAT32,
  FLOAT64,
  FLOAT16,
  BFLOAT16,
  INT64,
  INT32,
  INT16,
  INT8,
  UINT8,
  BOOL,
  STRING,
  /** Anything this view does not model (complex numbers, quantized types). */
  OTHER;

  /** Whether values of this type are read as {@code float} by {@link Tensor#getFloat(int)}. */
  public boolean isFloating() {
    return this == FLOAT32 || this == FLOAT64 || this == FLOAT16 || this == BFLOAT16;
  }

  /** Size of one element in bytes, or -1 where it has none ({@link #STRING}, {@link #OTHER}). */
  public int byteSize() {
    return switch (this) {
      case FLOAT64, INT64 -> 8;
      case FLOAT32, INT32 -> 4;
      case FLOAT16, BFLOAT16, INT16 -> 2;
      case INT8, UINT8, BOOL -> 1;
      case STRING, OTHER -> -1;
    };
  }
}
