package dev.portcheck.comparator.align;

import dev.portcheck.importers.api.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
   */
  public record Result(double[] scales, double inferredEpsilon) {}

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
    for (int c = 0; c < channels; c++) {
      double aa = 0;
      double ab = 0;
      double bmax = 0;
      for (int i = c * per; i < (c + 1) * per; i++) {
        double a = raw.getFloat(i);
        double b = folded.getFloat(i);
        aa += a * a;
        ab += a * b;
        bmax = Math.max(bmax, Math.abs(b));
      }
      if (aa == 0) {
        scales[c] = Double.NaN;
        continue;
      }
      double sc = ab / aa;
      // The residual is checked on the channel's first elements only: enough to reject kernels
      // that are not proportional, and the static checks measure the whole kernel against the
      // fold later (weightError), so a full second pass here would only repeat that work.
      int end = c * per + Math.min(per, RESIDUAL_SAMPLE);
      for (int i = c * per; i < end; i++) {
        double resid = Math.abs(folded.getFloat(i) - sc * raw.getFloat(i));
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
    return Optional.of(new Result(scales, epsilon));
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

  /** Largest |folded - raw * scale_c| over the kernel. */
  public static double weightError(Tensor raw, Tensor folded, double[] scales) {
    int per = raw.size() / scales.length;
    double max = 0;
    for (int i = 0; i < raw.size(); i++) {
      max = Math.max(max, Math.abs(folded.getFloat(i) - raw.getFloat(i) * scales[i / per]));
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
