package dev.portcheck.comparator.align;

import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Tensor;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Recognises a BatchNorm folded into the preceding convolution. torch.onnx.export in eval mode (and
 * tf2onnx) replaces Conv+BN by one Conv whose weight is {@code w * gamma / sqrt(var + eps)} per
 * output channel and whose bias is {@code (b - mean) * gamma / sqrt(var + eps) + beta}. Given the
 * unfolded conv and BN of one model and the folded conv of the other, the per-channel ratio of the
 * weights gives {@code s_c = gamma_c / sqrt(var_c + eps)}, hence {@code eps_c = (gamma_c / s_c)^2 -
 * var_c}: the epsilon the exporter actually used.
 */
public final class FoldedBatchNorm {
  private FoldedBatchNorm() {}

  /**
   * A detected fold.
   *
   * @param scales the per-channel ratio folded / raw
   * @param inferredEpsilon the epsilon that explains the ratios (median over the channels with the
   *     smallest variance, where the estimate is least sensitive to float32 rounding)
   * @param foldedMaxAbs largest |folded|, measured on the way
   */
  public record Result(double[] scales, double inferredEpsilon, double foldedMaxAbs) {}

  /** Elements read at a time from each kernel: small enough to stay in the first-level cache. */
  private static final int BLOCK = 4096;

  /** The values as floats, read in place when they are floating (integer ones are converted). */
  public static FloatBuffer floats(Tensor t) {
    return t.dtype().isFloating() ? t.floatBuffer() : FloatBuffer.wrap(t.toFloatArray());
  }

  /** Elements per output channel whose residual is checked during detection. */
  static final int RESIDUAL_SAMPLE = 256;

  /**
   * Whether {@code folded} is {@code raw} scaled per output channel consistently with this BN.
   *
   * @param raw the unfolded conv kernel, canonical layout, output channels first
   * @param folded the other model's kernel, same layout
   */
  public static Optional<Result> detect(Tensor raw, Tensor folded, Tensor gamma, Tensor variance) {
    long[] s = raw.shape();
    if (s.length < 2 || !java.util.Arrays.equals(s, folded.shape())) {
      return Optional.empty();
    }
    int channels = (int) s[0];
    if (gamma.size() != channels || variance.size() != channels) {
      return Optional.empty();
    }
    int per = raw.size() / channels;
    double[] scales = new double[channels];
    List<double[]> epsByVar = new ArrayList<>();
    FloatBuffer rb = floats(raw);
    FloatBuffer fb = floats(folded);
    float[] x = new float[Math.min(per, BLOCK)];
    float[] y = new float[x.length];
    double foldedMax = 0;
    for (int c = 0; c < channels; c++) {
      double aa = 0;
      double ab = 0;
      double bmax = 0;
      int start = c * per;
      // A channel in blocks read in bulk, summed in independent chains (see ValueSums).
      for (int at = 0; at < per; at += x.length) {
        int n = Math.min(x.length, per - at);
        rb.get(start + at, x, 0, n);
        fb.get(start + at, y, 0, n);
        double aa1 = 0;
        double ab1 = 0;
        double bmax1 = 0;
        int i = 0;
        for (; i + 1 < n; i += 2) {
          double a0 = x[i];
          double b0 = y[i];
          double a1 = x[i + 1];
          double b1 = y[i + 1];
          aa += a0 * a0;
          aa1 += a1 * a1;
          ab += a0 * b0;
          ab1 += a1 * b1;
          double abs0 = Math.abs(b0);
          double abs1 = Math.abs(b1);
          bmax = abs0 > bmax ? abs0 : bmax;
          bmax1 = abs1 > bmax1 ? abs1 : bmax1;
        }
        for (; i < n; i++) {
          double a0 = x[i];
          double b0 = y[i];
          aa += a0 * a0;
          ab += a0 * b0;
          double abs0 = Math.abs(b0);
          bmax = abs0 > bmax ? abs0 : bmax;
        }
        aa += aa1;
        ab += ab1;
        bmax = Math.max(bmax, bmax1);
      }
      if (Double.isNaN(ab)) {
        // A NaN in the folded kernel (which the comparisons above skip) makes its maximum NaN.
        bmax = Double.NaN;
      }
      foldedMax = Math.max(foldedMax, bmax);
      if (aa == 0) {
        scales[c] = Double.NaN;
        continue;
      }
      double sc = ab / aa;
      // The residual is checked on the channel's first elements only: enough to reject kernels
      // that are not proportional, and the static checks measure the whole kernel against the
      // fold later (weightError), so a full second pass here would only repeat that work.
      int end = start + Math.min(per, RESIDUAL_SAMPLE);
      for (int i = start; i < end; i++) {
        double resid = Math.abs(fb.get(i) - sc * rb.get(i));
        if (resid > 1e-4 * bmax + 1e-7) {
          return Optional.empty();
        }
      }
      scales[c] = sc;
      double g = gamma.getFloat(c);
      double v = variance.getFloat(c);
      if (g != 0 && sc != 0) {
        double r = g / sc;
        epsByVar.add(new double[] {v, r * r - v});
      }
    }
    if (epsByVar.isEmpty()) {
      return Optional.empty();
    }
    epsByVar.sort(Comparator.comparingDouble(e -> e[0]));
    int half = Math.max(1, (epsByVar.size() + 1) / 2);
    double[] eps = new double[half];
    for (int i = 0; i < half; i++) {
      eps[i] = epsByVar.get(i)[1];
    }
    java.util.Arrays.sort(eps);
    double median =
        eps.length % 2 == 1
            ? eps[eps.length / 2]
            : (eps[eps.length / 2 - 1] + eps[eps.length / 2]) / 2;
    // Unrelated proportional kernels would need a negative or absurd epsilon; reject them.
    double minVar = epsByVar.get(0)[0];
    if (median < -1e-6 * Math.max(1, minVar) || median > 1) {
      return Optional.empty();
    }
    double epsilon = Math.max(median, 0);
    // One epsilon must explain every channel. A per-channel epsilon can always be solved for, so
    // kernels that are merely proportional (equal weights, ratio 1 everywhere, where eps_c =
    // gamma_c^2
    // - var_c scatters widely) would otherwise pass as a fold.
    if (!consistent(scales, gamma, variance, epsilon)) {
      return Optional.empty();
    }
    return Optional.of(new Result(scales, epsilon, foldedMax));
  }

  /**
   * Relative tolerance on each channel's scale against {@code gamma / sqrt(var + eps)}. The scales
   * come from float32 weights (relative error ~1e-7) and the epsilon estimate moves them by far
   * less than this; a different epsilon per channel moves them by much more.
   */
  static final double SCALE_TOLERANCE = 1e-3;

  /** Whether {@code gamma_c / sqrt(var_c + eps)} reproduces every measured scale. */
  static boolean consistent(double[] scales, Tensor gamma, Tensor variance, double eps) {
    double[] expected = expectedScales(gamma, variance, eps);
    double largest = 0;
    for (double e : expected) {
      largest = Math.max(largest, Math.abs(e));
    }
    for (int c = 0; c < scales.length; c++) {
      if (Double.isNaN(scales[c])) {
        continue; // an all-zero kernel channel says nothing about its scale
      }
      double e = expected[c];
      // The absolute floor covers channels whose gamma (hence scale) is ~0 next to the others.
      if (!(Math.abs(scales[c] - e) <= SCALE_TOLERANCE * Math.abs(e) + 1e-6 * largest)) {
        return false;
      }
    }
    return true;
  }

  /** {@code gamma / sqrt(var + eps)} per channel. */
  public static double[] expectedScales(Tensor gamma, Tensor variance, double eps) {
    double[] out = new double[gamma.size()];
    for (int c = 0; c < out.length; c++) {
      out[c] = gamma.getFloat(c) / Math.sqrt(variance.getFloat(c) + eps);
    }
    return out;
  }

  /**
   * How well a detected fold explains the folded conv, with the BatchNorm's own epsilon (the
   * inferred one when it declares none): measured when the fold is found, on the kernels read for
   * it, so that the static checks need not read them again unless they differ.
   *
   * @param epsilon the epsilon the expected scales use
   * @param weightError largest |folded - raw * scale_c|
   * @param biasError largest error of the folded bias, 0 when not checked (no running mean, or the
   *     folded conv has no bias parameter and adds it in a later op)
   * @param foldedMaxAbs largest |folded|, the scale of the tolerance
   */
  public record Fit(double epsilon, double weightError, double biasError, double foldedMaxAbs) {}

  /**
   * The fit of {@code folded}'s parameters to {@code conv} followed by {@code bn} (layers of the
   * models {@code bnWeights} and {@code foldWeights} hold), as {@code detected}.
   */
  static Fit fit(
      Weights bnWeights, Layer conv, Layer bn, Weights foldWeights, Layer folded, Result detected) {
    Map<String, String> cr = Weights.roles(conv);
    Map<String, String> br = Weights.roles(bn);
    Map<String, String> fr = Weights.roles(folded);
    double eps = bn.epsilon().orElse(detected.inferredEpsilon());
    Tensor gamma = bnWeights.canonical(br.get("scale"));
    Tensor variance = bnWeights.canonical(br.get("variance"));
    double[] scales = expectedScales(gamma, variance, eps);
    Tensor raw = bnWeights.canonical(cr.get("weight"));
    Tensor fk = foldWeights.canonical(fr.get("weight"));
    double werr = weightError(raw, fk, scales);
    double berr = 0;
    if (br.containsKey("mean") && fr.containsKey("bias")) {
      Tensor mean = bnWeights.canonical(br.get("mean"));
      Tensor beta = br.containsKey("offset") ? bnWeights.canonical(br.get("offset")) : null;
      Tensor rb = cr.containsKey("bias") ? bnWeights.canonical(cr.get("bias")) : null;
      Tensor fb = foldWeights.canonical(fr.get("bias"));
      berr = biasError(rb, fb, mean, beta, scales);
    }
    return new Fit(eps, werr, berr, detected.foldedMaxAbs());
  }

  /** Largest |folded - raw * scale_c| over the kernel. */
  public static double weightError(Tensor raw, Tensor folded, double[] scales) {
    int per = raw.size() / scales.length;
    double max = 0;
    if (per == 0) {
      return max;
    }
    FloatBuffer rb = floats(raw);
    FloatBuffer fb = floats(folded);
    float[] x = new float[Math.min(per, BLOCK)];
    float[] y = new float[x.length];
    // Channel by channel in blocks read in bulk: no division per element to find the channel, and
    // four independent maxima by comparison (Math.max's NaN rule costs a branch per element); a
    // NaN still shows, through the sum of the differences, which only a NaN makes NaN.
    double nan = 0;
    for (int c = 0; c < scales.length; c++) {
      double s = scales[c];
      int start = c * per;
      for (int at = 0; at < per; at += x.length) {
        int n = Math.min(x.length, per - at);
        rb.get(start + at, x, 0, n);
        fb.get(start + at, y, 0, n);
        double m0 = 0;
        double m1 = 0;
        double m2 = 0;
        double m3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
          double d0 = Math.abs(y[i] - x[i] * s);
          double d1 = Math.abs(y[i + 1] - x[i + 1] * s);
          double d2 = Math.abs(y[i + 2] - x[i + 2] * s);
          double d3 = Math.abs(y[i + 3] - x[i + 3] * s);
          m0 = d0 > m0 ? d0 : m0;
          m1 = d1 > m1 ? d1 : m1;
          m2 = d2 > m2 ? d2 : m2;
          m3 = d3 > m3 ? d3 : m3;
          nan += (d0 + d1) + (d2 + d3);
        }
        for (; i < n; i++) {
          double d = Math.abs(y[i] - x[i] * s);
          m0 = d > m0 ? d : m0;
          nan += d;
        }
        max = Math.max(max, Math.max(Math.max(m0, m1), Math.max(m2, m3)));
      }
    }
    if (Double.isNaN(nan)) {
      return Double.NaN;
    }
    return max;
  }

  /** Largest |foldedBias - ((rawBias - mean) * scale + beta)|; a missing bias counts as zeros. */
  public static double biasError(
      Tensor rawBias, Tensor foldedBias, Tensor mean, Tensor beta, double[] scales) {
    double max = 0;
    for (int c = 0; c < scales.length; c++) {
      double rb = rawBias == null ? 0 : rawBias.getFloat(c);
      double fb = foldedBias == null ? 0 : foldedBias.getFloat(c);
      double off = beta == null ? 0 : beta.getFloat(c);
      max = Math.max(max, Math.abs(fb - ((rb - mean.getFloat(c)) * scales[c] + off)));
    }
    return max;
  }
}
