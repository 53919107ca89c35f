package dev.portcheck.comparator;

import dev.portcheck.importers.api.Tensor;

/** Tiny reference implementations of the ops the fake models compute (channels-first). */
final class Ops {
  private Ops() {}

  /** 3x3 (any odd k) convolution, stride 1, same padding; w is OIHW. */
  static Tensor conv(Tensor x, Tensor w, Tensor b) {
    long[] s = x.shape();
    long[] ws = w.shape();
    int n = (int) s[0], c = (int) s[1], h = (int) s[2], wd = (int) s[3];
    int o = (int) ws[0], kh = (int) ws[2], kw = (int) ws[3];
    float[] in = x.toFloatArray();
    float[] k = w.toFloatArray();
    float[] out = new float[n * o * h * wd];
    for (int bi = 0; bi < n; bi++) {
      for (int oc = 0; oc < o; oc++) {
        for (int y = 0; y < h; y++) {
          for (int xx = 0; xx < wd; xx++) {
            double acc = b.getFloat(oc);
            for (int ic = 0; ic < c; ic++) {
              for (int dy = 0; dy < kh; dy++) {
                for (int dx = 0; dx < kw; dx++) {
                  int iy = y + dy - kh / 2;
                  int ix = xx + dx - kw / 2;
                  if (iy < 0 || ix < 0 || iy >= h || ix >= wd) {
                    continue;
                  }
                  acc +=
                      in[((bi * c + ic) * h + iy) * wd + ix]
                          * k[((oc * c + ic) * kh + dy) * kw + dx];
                }
              }
            }
            out[((bi * o + oc) * h + y) * wd + xx] = (float) acc;
          }
        }
      }
    }
    return Tensor.ofFloats(new long[] {n, o, h, wd}, out);
  }

  /** Inference BatchNorm; gbmv = gamma, beta, mean, var. */
  static Tensor bn(Tensor x, Tensor[] gbmv, double eps) {
    long[] s = x.shape();
    int c = (int) s[1];
    int inner = (int) (s[2] * s[3]);
    float[] d = x.toFloatArray();
    for (int i = 0; i < d.length; i++) {
      int ch = (i / inner) % c;
      double scale = gbmv[0].getFloat(ch) / Math.sqrt(gbmv[3].getFloat(ch) + eps);
      d[i] = (float) ((d[i] - gbmv[2].getFloat(ch)) * scale + gbmv[1].getFloat(ch));
    }
    return Tensor.ofFloats(s, d);
  }

  static Tensor relu(Tensor x) {
    float[] d = x.toFloatArray();
    for (int i = 0; i < d.length; i++) {
      d[i] = Math.max(d[i], 0f);
    }
    return Tensor.ofFloats(x.shape(), d);
  }

  static Tensor gap(Tensor x, boolean keepDims) {
    long[] s = x.shape();
    int n = (int) s[0], c = (int) s[1];
    int inner = (int) (s[2] * s[3]);
    float[] d = x.toFloatArray();
    float[] out = new float[n * c];
    for (int i = 0; i < n * c; i++) {
      double acc = 0;
      for (int j = 0; j < inner; j++) {
        acc += d[i * inner + j];
      }
      out[i] = (float) (acc / inner);
    }
    return Tensor.ofFloats(keepDims ? new long[] {n, c, 1, 1} : new long[] {n, c}, out);
  }

  /** y = x W^T + b, w is [out, in]; x is flattened to [N, in]. */
  static Tensor linear(Tensor x, Tensor w, Tensor b) {
    long[] ws = w.shape();
    int o = (int) ws[0], in = (int) ws[1];
    int n = x.size() / in;
    float[] out = new float[n * o];
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < o; j++) {
        double acc = b.getFloat(j);
        for (int i = 0; i < in; i++) {
          acc += x.getFloat(r * in + i) * w.getFloat(j * in + i);
        }
        out[r * o + j] = (float) acc;
      }
    }
    return Tensor.ofFloats(new long[] {n, o}, out);
  }

  /** Conv+BN folded into one conv: {weight, bias}. */
  static Tensor[] fold(Tensor w, Tensor b, Tensor[] gbmv, double eps) {
    long[] s = w.shape();
    int o = (int) s[0];
    int per = w.size() / o;
    float[] fw = w.toFloatArray();
    float[] fb = new float[o];
    for (int c = 0; c < o; c++) {
      double scale = gbmv[0].getFloat(c) / Math.sqrt(gbmv[3].getFloat(c) + eps);
      for (int i = c * per; i < (c + 1) * per; i++) {
        fw[i] = (float) (fw[i] * scale);
      }
      fb[c] = (float) ((b.getFloat(c) - gbmv[2].getFloat(c)) * scale + gbmv[1].getFloat(c));
    }
    return new Tensor[] {Tensor.ofFloats(s, fw), Tensor.ofFloats(new long[] {o}, fb)};
  }
}
