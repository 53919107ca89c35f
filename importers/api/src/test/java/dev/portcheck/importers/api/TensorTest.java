package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TensorTest {
  private static Tensor iota(long... shape) {
    float[] f = new float[(int) Tensor.elementCount(shape)];
    for (int i = 0; i < f.length; i++) {
      f[i] = i;
    }
    return Tensor.ofFloats(shape, f);
  }

  @Test
  void nchwToNhwcTransposeMovesChannelsLast() {
    Tensor nchw = iota(1, 2, 2, 3); // c=2, h=2, w=3
    Tensor nhwc = nchw.transpose(0, 2, 3, 1);
    assertArrayEquals(new long[] {1, 2, 3, 2}, nhwc.shape());
    // nhwc[0,h,w,c] == nchw[0,c,h,w] == c*6 + h*3 + w
    assertEquals(0f, nhwc.getFloat(0));
    assertEquals(6f, nhwc.getFloat(1));
    assertEquals(1f, nhwc.getFloat(2));
    assertEquals(3 + 2 + 6, nhwc.getFloat(((1 * 3) + 2) * 2 + 1));
  }

  @Test
  void transposeThenInverseIsIdentity() {
    Tensor oihw = iota(4, 3, 2, 5);
    Tensor hwio = oihw.transpose(2, 3, 1, 0);
    assertArrayEquals(new long[] {2, 5, 3, 4}, hwio.shape());
    assertEquals(oihw, hwio.transpose(3, 2, 0, 1));
  }

  /** numpy's transpose, one element at a time: the reference for the tiled copy. */
  private static float naive(Tensor t, int[] perm, int dstIndex) {
    long[] s = t.shape();
    int r = s.length;
    long[] ns = new long[r];
    for (int i = 0; i < r; i++) {
      ns[i] = s[perm[i]];
    }
    int[] srcIdx = new int[r];
    int rest = dstIndex;
    for (int i = r - 1; i >= 0; i--) {
      srcIdx[perm[i]] = (int) (rest % ns[i]);
      rest /= (int) ns[i];
    }
    int flat = 0;
    for (int ax = 0; ax < r; ax++) {
      flat = flat * (int) s[ax] + srcIdx[ax];
    }
    return t.getFloat(flat);
  }

  private static void permutations(int[] p, int k, java.util.List<int[]> out) {
    if (k == p.length) {
      out.add(p.clone());
      return;
    }
    for (int i = k; i < p.length; i++) {
      int x = p[k];
      p[k] = p[i];
      p[i] = x;
      permutations(p, k + 1, out);
      p[i] = p[k];
      p[k] = x;
    }
  }

  @Test
  void everyPermutationMatchesElementwiseReferenceAcrossTilesAndUnitAxes() {
    // Sizes around the 32-element tile, unit axes (squeezed before copying) and a 5-D case.
    long[][] shapes = {{1, 3, 40, 37}, {2, 1, 33, 65}, {3, 3, 64, 1}, {5, 70}, {2, 3, 1, 4, 5}};
    for (long[] shape : shapes) {
      Tensor t = iota(shape);
      Tensor longs = Tensor.ofLongs(DType.INT64, shape, t.toLongArray());
      java.util.List<int[]> perms = new java.util.ArrayList<>();
      int[] id = new int[shape.length];
      for (int i = 0; i < id.length; i++) {
        id[i] = i;
      }
      permutations(id, 0, perms);
      for (int[] perm : perms) {
        Tensor got = t.transpose(perm);
        Tensor gotLongs = longs.transpose(perm);
        for (int i = 0; i < got.size(); i++) {
          float want = naive(t, perm, i);
          if (got.getFloat(i) != want || gotLongs.getLong(i) != (long) want) {
            throw new AssertionError(
                java.util.Arrays.toString(shape)
                    + " transposed by "
                    + java.util.Arrays.toString(perm)
                    + " ==> element "
                    + i
                    + " expected: <"
                    + want
                    + "> but was: <"
                    + got.getFloat(i)
                    + "> (longs: "
                    + gotLongs.getLong(i)
                    + ")");
          }
        }
      }
    }
  }

  @Test
  void transposeRejectsRepeatedAxes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> iota(2, 3).transpose(0, 0));
    assertEquals("permutation [0, 0] is not a permutation of 0..1", e.getMessage());
  }

  @Test
  void tensorsAreImmutableCopies() {
    float[] data = {1, 2, 3};
    Tensor t = Tensor.ofFloats(new long[] {3}, data);
    data[0] = 42;
    t.toFloatArray()[1] = 42;
    assertEquals(1f, t.getFloat(0));
    assertEquals(2f, t.getFloat(1));
  }

  @Test
  void shapeAndDataMustAgree() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Tensor.ofFloats(new long[] {2, 2}, new float[3]));
    assertEquals("shape [2, 2] holds 4 elements but 3 were given", e.getMessage());
  }

  @Test
  void halfPrecisionDecodesNormalsSubnormalsAndInfinity() {
    assertEquals(1.0f, Half.toFloat((short) 0x3c00));
    assertEquals(-2.0f, Half.toFloat((short) 0xc000));
    assertEquals(5.9604645e-8f, Half.toFloat((short) 0x0001));
    assertEquals(Float.POSITIVE_INFINITY, Half.toFloat((short) 0x7c00));
    assertEquals(1.0f, Half.bfloat16ToFloat((short) 0x3f80));
  }
}
