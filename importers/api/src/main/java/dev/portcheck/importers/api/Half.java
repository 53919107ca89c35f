package dev.portcheck.importers.api;

/** IEEE 754 half and bfloat16 conversions (Java 17 has no {@code Float.float16ToFloat}). */
public final class Half {
  private Half() {}

  /** An IEEE half-precision value to float. */
  public static float toFloat(short bits) {
    int h = bits & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      // Subnormal half: normalise into a float exponent.
      float v = mant / 1024f * (float) Math.pow(2, -14);
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /** A bfloat16 value (the upper half of a float) to float. */
  public static float bfloat16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }
}
