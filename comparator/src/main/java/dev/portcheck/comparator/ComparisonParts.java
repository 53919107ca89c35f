package dev.portcheck.comparator;

import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.WeightLayout;
import java.util.List;
import java.util.Map;

/**
 * The comparator's building blocks for the packages beside it (baselines, activation maps), so that
 * a baseline check speaks exactly the vocabulary of {@code compare}: the same explanation
 * sentences, attribute rules, canonical weight layout and tensor comparison. The classes behind it
 * stay package-private because alignment and comparison internals change often.
 */
public final class ComparisonParts {
  private ComparisonParts() {}

  /** The attributes compared between aligned layers, epsilon first. */
  public static List<String> comparedAttributes() {
    return AttributeComparer.COMPARED;
  }

  /** Whether two values of a compared attribute are the same setting (epsilon within 1%). */
  public static boolean sameAttribute(String attribute, AttributeValue a, AttributeValue b) {
    return AttributeComparer.same(attribute, a, b);
  }

  /** A 4-element strides/dilations/kernel list reduced to its spatial part, as compared. */
  public static List<Long> spatial(List<Long> values, Layout layout) {
    return AttributeComparer.spatial(values, layout);
  }

  /** A parameter in the canonical (PyTorch) layout: OIHW kernels, OI matrices. */
  public static Tensor canonicalParameter(Tensor t, WeightLayout layout) {
    return Weights.toCanonical(t, layout);
  }

  /** An attribute mismatch as the finding {@code compare} reports for it. */
  public static AttributeFinding attributeFinding(
      String layer, dev.portcheck.importers.api.OpKind kind, AttributeMismatch m) {
    return Comparator.attributeFinding(layer, kind, m);
  }

  /** A layer's parameters by normalised role ({@code weight}, {@code scale}, {@code mean}...). */
  public static Map<String, String> parameterRoles(Layer layer) {
    return Weights.roles(layer);
  }

  /**
   * Compares one activation with the reference's element by element where a layout makes the shapes
   * agree (identity, NHWC/NCHW transpose, squeeze), else by statistics.
   */
  public static PairMetrics compareTensors(
      Tensor ref, Layout refLayout, Tensor other, Layout otherLayout, Tolerance tol) {
    PairAccumulator acc = new PairAccumulator(tol, refLayout != otherLayout);
    acc.add(ref, refLayout, other, otherLayout);
    return acc.isEmpty() ? null : acc.toMetrics();
  }

  /**
   * The layout of a layer's activation: as declared, with every 4-D PyTorch feature map read as
   * channels-first (TorchScript modules declare no layout) and every undeclared 4-D TensorFlow one
   * as channels-last.
   */
  public static Layout activationLayout(ModelView model, String layer, int rank) {
    Layout declared = model.layer(layer).map(Layer::layout).orElse(Layout.UNSPECIFIED);
    if (declared == Layout.UNSPECIFIED && rank == 4) {
      if (model.framework() == Framework.PYTORCH) {
        return Layout.NCHW;
      }
      if (model.framework() == Framework.TENSORFLOW) {
        return Layout.NHWC;
      }
    }
    return declared;
  }
}
