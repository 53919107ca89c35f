package dev.portcheck.comparator;

import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.OpKind;
import java.util.List;
import java.util.Map;

/** The one-sentence explanation and the JUnit-shaped failure text of a divergence. */
final class Explanations {
  private final List<ModelRef> models;

  Explanations(List<ModelRef> models) {
    this.models = models;
  }

  /** {@code onnx vs pytorch}, with model ids when a framework appears twice. */
  String pair(String refId, String otherId) {
    return label(refId) + " vs " + label(otherId);
  }

  private String label(String id) {
    ModelRef m = model(id);
    long same = models.stream().filter(x -> x.framework() == m.framework()).count();
    return same > 1 ? m.framework().id() + " " + id : m.framework().id();
  }

  private ModelRef model(String id) {
    return models.stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow();
  }

  /** The model whose value differs from the first value of the mismatch. */
  static String differingModel(AttributeMismatch m) {
    Map.Entry<String, AttributeValue> first = m.values().entrySet().iterator().next();
    for (Map.Entry<String, AttributeValue> e : m.values().entrySet()) {
      if (!AttributeComparer.same(m.attribute(), first.getValue(), e.getValue())) {
        return e.getKey();
      }
    }
    return first.getKey();
  }

  String[] attribute(String layer, OpKind kind, AttributeMismatch m) {
    String other = differingModel(m);
    String ref = m.values().keySet().iterator().next();
    AttributeValue rv = m.values().get(ref);
    AttributeValue ov = m.values().get(other);
    String head = "layer '" + layer + "' [" + pair(ref, other) + "]: ";
    String inferred = m.note() != null ? " (inferred from the folded Conv weights)" : "";
    String sentence;
    if (m.attribute().equals("epsilon")) {
      String r = text(rv);
      sentence =
          head
              + "epsilon "
              + r
              + " vs "
              + text(ov)
              + inferred
              + " — "
              + epsilonHint(kind, rv, ov, ref, other)
              + "set epsilon="
              + r
              + " in the port.";
    } else if (m.attribute().equals("pads")) {
      sentence =
          head
              + "pads "
              + rv.render()
              + " vs "
              + ov.render()
              + " — TensorFlow's SAME padding puts the odd pixel at the bottom/right where"
              + " PyTorch pads symmetrically; pad explicitly (ZeroPadding2D / F.pad) in the port.";
    } else {
      sentence =
          head
              + m.attribute()
              + " "
              + rv.render()
              + " vs "
              + ov.render()
              + " — set "
              + m.attribute()
              + "="
              + rv.render()
              + " in the port.";
    }
    String failure =
        "layer '"
            + layer
            + "' ["
            + pair(ref, other)
            + "] ==> "
            + m.attribute()
            + " expected: <"
            + rv.render()
            + "> but was: <"
            + ov.render()
            + ">";
    return new String[] {sentence, failure};
  }

  private String epsilonHint(
      OpKind kind, AttributeValue rv, AttributeValue ov, String ref, String other) {
    boolean tf =
        model(ref).framework() == Framework.TENSORFLOW
            || model(other).framework() == Framework.TENSORFLOW;
    double a = rv instanceof AttributeValue.Float f ? f.value() : Double.NaN;
    double b = ov instanceof AttributeValue.Float f ? f.value() : Double.NaN;
    boolean defaults = (near(a, 1e-5) && near(b, 1e-3)) || (near(a, 1e-3) && near(b, 1e-5));
    if (!defaults) {
      return "";
    }
    String op = kind == OpKind.LAYER_NORM ? "LayerNormalization" : "BatchNormalization";
    return tf
        ? "Keras' " + op + " defaults to 1e-3, PyTorch to 1e-5; "
        : "Keras defaults " + op + " to 1e-3, PyTorch and ONNX to 1e-5; ";
  }

  private static boolean near(double v, double target) {
    return Math.abs(v - target) <= 0.01 * target;
  }

  private static String text(AttributeValue v) {
    return v instanceof AttributeValue.Float f ? Numbers.format(f.value()) : v.render();
  }

  String[] weights(String layer, WeightMismatch w) {
    String head = "layer '" + layer + "' [" + pair("m0", w.modelId()) + "]: ";
    String fix;
    if (w.detail().equals(WeightComparer.HW_SLIP)) {
      fix = "convert OIHW to HWIO with transpose(2,3,1,0), not (3,2,1,0).";
    } else if (w.detail().startsWith("matrix equals")) {
      fix = "transpose the Linear weight (.T) when copying it into the Dense kernel.";
    } else if (w.detail().startsWith("folded")) {
      fix = "re-export the model, or check the BatchNorm statistics it was folded with.";
    } else {
      fix = "copy the weights from the reference again and check the conversion script.";
    }
    String sentence = head + w.role() + " " + w.detail() + "; " + fix;
    String failure =
        "layer '"
            + layer
            + "' ["
            + pair("m0", w.modelId())
            + "] ==> "
            + w.role()
            + " expected: <equal to "
            + w.parameters().getOrDefault("m0", "the reference")
            + "> but was: <"
            + w.detail()
            + ">";
    return new String[] {sentence, failure};
  }

  String[] activation(String layer, String otherId, PairMetrics p, Tolerance t) {
    String head = "layer '" + layer + "' [" + pair("m0", otherId) + "]: ";
    String nums =
        p.elementwise()
            ? "max abs diff "
                + Numbers.format(p.maxAbsDiff())
                + ", cosine "
                + Numbers.format(p.cosine())
            : "statistics differ (" + p.comparedAs() + ")";
    if (p.nanMismatches() > 0) {
      nums = p.nanMismatches() + " NaN/Inf element(s) on one side only";
    }
    String sentence =
        head
            + "outputs differ ("
            + nums
            + ") although attributes and weights agree — check the op's semantics (padding,"
            + " rounding, approximate activations) and its inputs; if the difference is expected,"
            + " raise this layer's tolerance.";
    String failure =
        "layer '"
            + layer
            + "' ["
            + pair("m0", otherId)
            + "] ==> max abs diff expected: <<= "
            + t.atol()
            + " + "
            + t.rtol()
            + "*|ref|> but was: <"
            + Numbers.format(p.maxAbsDiff())
            + ">";
    return new String[] {sentence, failure};
  }
}
