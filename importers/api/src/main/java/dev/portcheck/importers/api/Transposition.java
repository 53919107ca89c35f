package dev.portcheck.importers.api;

import java.util.ArrayList;
import java.util.List;

/**
 * A permutation of axes reduced to what actually moves memory: size-1 axes dropped and axes that
 * stay adjacent and in order merged, so NHWC to NCHW is a 2-D transpose of [H*W, C] and a 1x1 HWIO
 * kernel to OIHW one of [I, O]. The copy then walks square tiles of the two axes that are
 * contiguous on either side. A plain walk in destination order reads one float per cache line when
 * the source stride is large (a kernel's output axis, a feature map's channel axis): on ResNet-50's
 * kernels that was most of the time spent aligning.
 */
final class Transposition {
  /** 32 floats: two cache lines per tile row, 4 KiB per tile on each side. */
  private static final int TILE = 32;

  /** Merged axes in destination order: element counts and strides on both sides. */
  private final int[] dims;

  private final int[] src;
  private final int[] dst;

  private Transposition(int[] dims, int[] src, int[] dst) {
    this.dims = dims;
    this.src = src;
    this.dst = dst;
  }

  static Transposition of(long[] shape, int[] perm) {
    int r = shape.length;
    int[] pos = new int[r]; // position among the source's non-unit axes
    int k = 0;
    for (int ax = 0; ax < r; ax++) {
      pos[ax] = shape[ax] == 1 ? -1 : k++;
    }
    List<long[]> groups = new ArrayList<>(); // {count, first source position, last position}
    for (int ax : perm) {
      if (pos[ax] < 0) {
        continue;
      }
      long[] last = groups.isEmpty() ? null : groups.get(groups.size() - 1);
      if (last != null && pos[ax] == last[2] + 1) {
        last[0] *= shape[ax];
        last[2] = pos[ax];
      } else {
        groups.add(new long[] {shape[ax], pos[ax], pos[ax]});
      }
    }
    int m = groups.size();
    int[] dims = new int[m];
    int[] src = new int[m];
    int[] dst = new int[m];
    int acc = 1;
    for (int g = m - 1; g >= 0; g--) {
      dims[g] = (int) groups.get(g)[0];
      dst[g] = acc;
      acc *= dims[g];
    }
    for (int g = 0; g < m; g++) {
      long stride = 1;
      for (long[] o : groups) {
        if (o[1] > groups.get(g)[2]) {
          stride *= o[0];
        }
      }
      src[g] = (int) stride;
    }
    return new Transposition(dims, src, dst);
  }

  /** Copies {@code from} into {@code to} (floats or longs, whichever pair is non-null). */
  void copy(float[] fromF, float[] toF, long[] fromL, long[] toL) {
    int m = dims.length;
    if (m <= 1) { // the identity once unit axes are dropped and runs merged
      if (toF != null) {
        System.arraycopy(fromF, 0, toF, 0, toF.length);
      } else {
        System.arraycopy(fromL, 0, toL, 0, toL.length);
      }
      return;
    }
    int a = m - 1; // contiguous in the destination
    int b = 0; // contiguous in the source
    for (int g = 0; g < m; g++) {
      if (src[g] == 1) {
        b = g;
      }
    }
    // Every other axis is walked outside the tiles, with an index carry.
    int[] outer = new int[m];
    int no = 0;
    for (int g = 0; g < m; g++) {
      if (g != a && g != b) {
        outer[no++] = g;
      }
    }
    int[] idx = new int[no];
    int srcBase = 0;
    int dstBase = 0;
    while (true) {
      if (b == a) {
        // The innermost axis is contiguous on both sides: whole rows.
        if (toF != null) {
          System.arraycopy(fromF, srcBase, toF, dstBase, dims[a]);
        } else {
          System.arraycopy(fromL, srcBase, toL, dstBase, dims[a]);
        }
      } else if (toF != null) {
        tiles(fromF, toF, srcBase, dstBase, dims[a], src[a], dims[b], dst[b]);
      } else {
        for (int j = 0; j < dims[b]; j++) {
          for (int i = 0; i < dims[a]; i++) {
            toL[dstBase + j * dst[b] + i] = fromL[srcBase + j + i * src[a]];
          }
        }
      }
      int o = no - 1;
      for (; o >= 0; o--) {
        int g = outer[o];
        idx[o]++;
        srcBase += src[g];
        dstBase += dst[g];
        if (idx[o] < dims[g]) {
          break;
        }
        srcBase -= src[g] * dims[g];
        dstBase -= dst[g] * dims[g];
        idx[o] = 0;
      }
      if (o < 0) {
        return;
      }
    }
  }

  /**
   * One 2-D transpose: {@code na} elements along the destination-contiguous axis (source stride
   * {@code sa}), {@code nb} along the source-contiguous one (destination stride {@code db}).
   */
  private static void tiles(
      float[] from, float[] to, int srcBase, int dstBase, int na, int sa, int nb, int db) {
    for (int i0 = 0; i0 < na; i0 += TILE) {
      int i1 = Math.min(na, i0 + TILE);
      for (int j0 = 0; j0 < nb; j0 += TILE) {
        int j1 = Math.min(nb, j0 + TILE);
        for (int j = j0; j < j1; j++) {
          int s = srcBase + j + i0 * sa;
          int d = dstBase + j * db + i0;
          for (int i = i0; i < i1; i++, s += sa, d++) {
            to[d] = from[s];
          }
        }
      }
    }
  }
}
