package dev.portcheck.comparator.output;

import dev.portcheck.comparator.measure.KindComparer;
import dev.portcheck.comparator.report.ActivationFinding;
import dev.portcheck.comparator.report.AttributeFinding;
import dev.portcheck.comparator.report.AttributeKind;
import dev.portcheck.comparator.report.AttributeMismatch;
import dev.portcheck.comparator.report.Divergence;
import dev.portcheck.comparator.report.Finding;
import dev.portcheck.comparator.report.LayerMetrics;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.comparator.report.Numbers;
import dev.portcheck.comparator.report.OutputFinding;
import dev.portcheck.comparator.report.PairMetrics;
import dev.portcheck.comparator.report.Tolerance;
import dev.portcheck.comparator.report.WeightFinding;
import dev.portcheck.comparator.report.WeightKind;
import dev.portcheck.comparator.report.WeightMismatch;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.OpKind;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The words for findings, in one place for every renderer (text, JSON, HTML, JUnit XML) and for
 * {@code PortAssertions}: the one sentence a user acts on, the same finding in JUnit's assertion
 * shape ({@code layer 'bn2' [pytorch vs tensorflow] ==> epsilon expected: <1.0E-5> but was:
 * <0.001>}), and the typed expected and actual values behind it.
 */
public final class FindingText {
  private final List<ModelRef> models;

  /**
   * @param models the compared models, {@code m0} first (a framework appearing twice is told apart
   *     by model id)
   */
  public FindingText(List<ModelRef> models) {
    this.models = List.copyOf(models);
  }

  /** {@code first divergence (CAUSE): sentence}, then the failure text on an indented line. */
  public String firstDivergence(Divergence d) {
    Finding f = d.finding();
    return "first divergence (" + f.cause() + "): " + sentence(f) + "\n  " + failureText(f);
  }

  /** The sentence to act on: where, what differs, and the fix. */
  public String sentence(Finding f) {
    if (f instanceof AttributeFinding a) {
      return attribute(a);
    }
    if (f instanceof WeightFinding w) {
      WeightMismatch m = w.mismatch();
      return head(w.layer(), "m0", m.modelId())
          + m.role()
          + " "
          + weightDetail(m)
          + "; "
          + weightFix(m);
    }
    if (f instanceof ActivationFinding a) {
      return head(a.layer(), "m0", a.modelId())
          + "outputs differ ("
          + numbers(a.metrics())
          + ") although attributes and weights agree"
          + ACTIVATION_ADVICE;
    }
    OutputFinding o = (OutputFinding) f;
    String head = head("output " + o.layer(), "m0", o.modelId());
    if (o.onlyInReference().isEmpty() && o.onlyInModel().isEmpty()) {
      return head
          + "outputs differ ("
          + numbers(o.metrics())
          + (o.layersBySummary()
              ? ") while every compared layer agrees"
              : ") while every tapped layer agrees (the difference is in layers no engine"
                  + " exposed)")
          + ACTIVATION_ADVICE;
    }
    // Typically post-processing (box decoding, softmax) exported into one model only.
    return head
        + "outputs differ ("
        + numbers(o.metrics())
        + ") while every aligned layer agrees; the output is computed by layers with no"
        + " counterpart in the other model"
        + extra("m0", o.onlyInReference())
        + extra(o.modelId(), o.onlyInModel())
        + ". One model carries post-processing the other lacks (e.g. box decoding or"
        + " softmax): export both with the same output head, or compare the outputs"
        + " before it.";
  }

  private static final String ACTIVATION_ADVICE =
      " — check the op's semantics (padding, rounding, approximate activations) and its inputs;"
          + " if the difference is expected, raise this layer's tolerance.";

  /**
   * The finding in JUnit's shape: {@code layer 'L' [a vs b] ==> what expected: <x> but was: <y>}.
   */
  public String failureText(Finding f) {
    String layer = f instanceof OutputFinding ? "output " + f.layer() : f.layer();
    String ref = f instanceof AttributeFinding a ? a.referenceId() : "m0";
    return "layer '"
        + layer
        + "' ["
        + pair(ref, f.modelId())
        + "] ==> "
        + subject(f)
        + " expected: <"
        + (f instanceof AttributeFinding a ? a.expected().render() : expected(f))
        + "> but was: <"
        + (f instanceof AttributeFinding a ? a.actual().render() : actualText(f))
        + ">";
  }

  private String actualText(Finding f) {
    Object v = actual(f);
    return v instanceof Double d ? Numbers.format(d) : String.valueOf(v);
  }

  /** What the failure text compares: the attribute, the parameter role, or the max abs diff. */
  private static String subject(Finding f) {
    if (f instanceof AttributeFinding a) {
      return a.attribute();
    }
    return f instanceof WeightFinding w ? w.mismatch().role() : "max abs diff";
  }

  /**
   * The expected value, typed where there is one: the reference's attribute value ({@link Double},
   * {@link Long}, {@link List}, {@link String}), else a description ({@code equal to conv1.weight},
   * {@code <= 1.0E-4 + 0.001*|ref|}).
   */
  public Object expected(Finding f) {
    if (f instanceof AttributeFinding a) {
      return value(a.expected());
    }
    if (f instanceof WeightFinding w) {
      return "equal to " + w.mismatch().parameters().getOrDefault("m0", "the reference");
    }
    Tolerance t =
        f instanceof ActivationFinding a ? a.tolerance() : ((OutputFinding) f).tolerance();
    return "<= " + t.atol() + " + " + t.rtol() + "*|ref|";
  }

  /**
   * The actual value: the other model's attribute value, what its weights look like, or the max abs
   * diff ({@link Double}).
   */
  public Object actual(Finding f) {
    if (f instanceof AttributeFinding a) {
      return value(a.actual());
    }
    if (f instanceof WeightFinding w) {
      return weightDetail(w.mismatch());
    }
    PairMetrics p = f instanceof ActivationFinding a ? a.metrics() : ((OutputFinding) f).metrics();
    return p.maxAbsDiff();
  }

  private static Object value(AttributeValue v) {
    if (v instanceof AttributeValue.Float f) {
      return f.value();
    }
    if (v instanceof AttributeValue.Int i) {
      return i.value();
    }
    if (v instanceof AttributeValue.Ints i) {
      return i.values();
    }
    if (v instanceof AttributeValue.Floats f) {
      return f.values();
    }
    if (v instanceof AttributeValue.Bool b) {
      return b.value();
    }
    return v.render();
  }

  private String attribute(AttributeFinding a) {
    AttributeValue rv = a.expected();
    AttributeValue ov = a.actual();
    String head = head(a.layer(), a.referenceId(), a.modelId());
    String inferred = a.inferred() ? " (inferred from the folded Conv weights)" : "";
    if (a.attribute().equals("epsilon")) {
      String r = compact(rv);
      return head
          + "epsilon "
          + r
          + " vs "
          + compact(ov)
          + inferred
          + " — "
          + epsilonHint(a.kind(), rv, ov, a.referenceId(), a.modelId())
          + "set epsilon="
          + r
          + " in the port.";
    }
    if (a.attribute().equals("pooling")) {
      String r = rv.render();
      String o = ov.render();
      return head
          + a.referenceId()
          + " "
          + pooled(r)
          + " where "
          + a.modelId()
          + " "
          + pooled(o)
          + " ("
          + poolClass(a.referenceId(), r)
          + " vs "
          + poolClass(a.modelId(), o)
          + ") — use "
          + poolClass(portOf(a), portOf(a).equals(a.modelId()) ? r : o)
          + " in the port.";
    }
    if (a.attribute().equals("activation")) {
      return head
          + a.referenceId()
          + " applies "
          + rv.render()
          + " where "
          + a.modelId()
          + " applies "
          + ov.render()
          + " — use "
          + (portOf(a).equals(a.modelId()) ? rv : ov).render()
          + " in the port.";
    }
    if (a.attribute().equals(KindComparer.LAYER)) {
      boolean refLacks = rv.render().equals(KindComparer.NONE);
      String lacking = refLacks ? a.referenceId() : a.modelId();
      String having = refLacks ? a.modelId() : a.referenceId();
      String op = (refLacks ? ov : rv).render();
      String fix =
          refLacks
              ? "remove it from the port (or add it to the reference)"
              : "add the " + (isActivation(op) ? "activation" : "layer") + " in the port";
      return head
          + lacking
          + " has no layer where "
          + having
          + " has `"
          + a.layer()
          + "` ("
          + op
          + "), and the outputs differ from there on — "
          + fix
          + ".";
    }
    if (a.attribute().equals("pads")) {
      return head + "pads " + rv.render() + " vs " + ov.render() + " — " + padsAdvice(rv, ov);
    }
    if (a.attribute().equals("approximate")) {
      return head + gelu(rv.render(), ov.render());
    }
    if (a.attributeKind() == AttributeKind.SOFTMAX_AXIS) {
      return head + softmaxAxis(a);
    }
    if (a.attributeKind() == AttributeKind.RESIZE_COORDINATES) {
      return head + resizeCoordinates(a);
    }
    if (a.attributeKind() == AttributeKind.CEIL_MODE) {
      return head + ceilMode(a);
    }
    if (a.attributeKind() == AttributeKind.COUNT_INCLUDE_PAD) {
      return head + countIncludePad(a);
    }
    return head
        + a.attribute()
        + " "
        + rv.render()
        + " vs "
        + ov.render()
        + " — set "
        + a.attribute()
        + "="
        + rv.render()
        + " in the port.";
  }

  private static String pooled(String type) {
    return type.equals("max") ? "max-pools" : type + "-pools";
  }

  /** The port: the model that is not the reference (the reference is what is ported from). */
  private static String portOf(AttributeFinding a) {
    return a.modelId();
  }

  /** The pooling layer's class in a model's framework: MaxPool2d, AveragePooling2D, MaxPool. */
  private String poolClass(String id, String type) {
    boolean max = type.equals("max");
    return switch (model(id).framework()) {
      case PYTORCH -> max ? "MaxPool2d" : "AvgPool2d";
      case TENSORFLOW -> max ? "MaxPooling2D" : "AveragePooling2D";
      default -> max ? "MaxPool" : "AveragePool";
    };
  }

  private static boolean isActivation(String opType) {
    OpKind k = OpKind.fromOnnx(opType.replaceAll("^.*\\.", ""));
    return k == OpKind.OTHER
        ? opType.toLowerCase(Locale.ROOT).matches(".*(relu|gelu|sigmoid|tanh|silu|swish).*")
        : !k.hasWeights();
  }

  /**
   * Pads [top, left, bottom, right]. One extra pixel at the bottom/right only is TensorFlow's SAME
   * with stride > 1 (resolved at the input size the run measured); the fix pads explicitly.
   */
  private static String padsAdvice(AttributeValue expected, AttributeValue actual) {
    if (!(expected instanceof AttributeValue.Ints e) || e.values().size() != 4) {
      return "pad explicitly (ZeroPadding2D / F.pad) in the port.";
    }
    List<Long> p = e.values();
    String zero =
        p.get(0).equals(p.get(2)) && p.get(1).equals(p.get(3))
            ? p.get(0).equals(p.get(1))
                ? "ZeroPadding2D(" + p.get(0) + ")"
                : "ZeroPadding2D((" + p.get(0) + ", " + p.get(1) + "))"
            : "ZeroPadding2D((("
                + p.get(0)
                + ", "
                + p.get(2)
                + "), ("
                + p.get(1)
                + ", "
                + p.get(3)
                + ")))";
    boolean same =
        actual instanceof AttributeValue.Ints a
                && a.values().size() == 4
                && a.values().get(2) - a.values().get(0) == 1
            || actual instanceof AttributeValue.Ints b
                && b.values().size() == 4
                && b.values().get(3) - b.values().get(1) == 1;
    String why =
        same
            ? "TensorFlow's SAME padding with stride > 1 puts the odd pixel at the bottom/right"
                + " (at the input size this run measured) where the reference pads "
                + (p.get(0).equals(p.get(2)) ? "symmetrically" : "as shown")
                + "; "
            : "";
    return why + "use " + zero + " + padding='valid' in the port (or F.pad in PyTorch).";
  }

  /**
   * Softmax axes are compared in the reference's axis order (a channels-last port's axis carried
   * through its layout change): name both in that order, and the port's own axis that fixes it.
   */
  private String softmaxAxis(AttributeFinding a) {
    String r = a.expected().render();
    String o = a.actual().render();
    boolean channelsFirstRef = model(a.referenceId()).framework() == Framework.PYTORCH;
    boolean channelsLastPort = model(a.modelId()).framework() == Framework.TENSORFLOW;
    String fix =
        channelsFirstRef && channelsLastPort && r.equals("1")
            ? "PyTorch's dim=1 is the channels, the last axis of the channels-last port: use"
                + " Softmax(axis=-1) in the channels-last port."
            : "normalise over the axis that is "
                + a.referenceId()
                + "'s axis "
                + r
                + " in the port's own layout.";
    return "softmax axis "
        + r
        + " vs "
        + o
        + " (in "
        + a.referenceId()
        + "'s axis order, after the layout change: "
        + a.modelId()
        + " normalises over another axis) — "
        + fix;
  }

  private static String flag(AttributeValue v) {
    return v.render().equals("0") || v.render().equalsIgnoreCase("false") ? "False" : "True";
  }

  /**
   * Pool rounding, named only when the pooled sizes differ: 1 rounds the output size up (PyTorch
   * and ONNX ceil_mode, TensorFlow's SAME), 0 down (floor, TensorFlow's VALID).
   */
  private String ceilMode(AttributeFinding a) {
    boolean refUp = flag(a.expected()).equals("True");
    String fix =
        switch (model(a.modelId()).framework()) {
          case TENSORFLOW ->
              refUp
                  ? "use padding='same' (or ZeroPadding2D at the bottom/right + 'valid') in the"
                      + " port."
                  : "use padding='valid' in the port.";
          case PYTORCH -> "use ceil_mode=" + (refUp ? "True" : "False") + " in the port.";
          default -> "export the pool with ceil_mode=" + (refUp ? 1 : 0) + ".";
        };
    return "ceil_mode "
        + flag(a.expected())
        + " vs "
        + flag(a.actual())
        + " — "
        + a.referenceId()
        + (refUp ? " rounds the pooled size up, " : " rounds the pooled size down, ")
        + a.modelId()
        + (refUp ? " down" : " up")
        + " (the outputs differ in size: see the row's shapes); "
        + fix;
  }

  /**
   * Average pools' divisor at the border: 1 divides by the kernel size (PyTorch's default, and
   * zeros padded explicitly before a 'valid' pool), 0 by the real pixels (TensorFlow's SAME, ONNX's
   * default).
   */
  private String countIncludePad(AttributeFinding a) {
    boolean refCounts = flag(a.expected()).equals("True");
    String fix =
        switch (model(a.modelId()).framework()) {
          case TENSORFLOW ->
              refCounts
                  ? "AveragePooling2D(padding='same') leaves the pads out of the divisor; use"
                      + " ZeroPadding2D + AveragePooling2D(padding='valid') in the port."
                  : "use AveragePooling2D(padding='same') without ZeroPadding2D in the port.";
          case PYTORCH ->
              "use AvgPool2d(..., count_include_pad=" + (refCounts ? "True" : "False") + ").";
          default -> "export the pool with count_include_pad=" + (refCounts ? 1 : 0) + ".";
        };
    return "count_include_pad "
        + flag(a.expected())
        + " vs "
        + flag(a.actual())
        + " — "
        + a.referenceId()
        + (refCounts ? " divides border windows by the kernel size, " : " by the real pixels, ")
        + a.modelId()
        + (refCounts ? " by the real pixels only; " : " by the kernel size; ")
        + fix;
  }

  /**
   * Resize coordinate mappings (ONNX's names, the importers' common spelling): half_pixel is
   * PyTorch's align_corners=False and Keras' UpSampling2D/tf.image.resize; align_corners maps the
   * corner pixels onto each other; asymmetric is TF1's resize without either flag.
   */
  private String resizeCoordinates(AttributeFinding a) {
    String r = a.expected().render();
    String o = a.actual().render();
    Framework port = model(a.modelId()).framework();
    String fix =
        switch (r) {
          case "half_pixel" ->
              switch (port) {
                case TENSORFLOW ->
                    "use UpSampling2D(interpolation='bilinear') or tf.image.resize(x, size,"
                        + " 'bilinear') (half-pixel centres; not align_corners=True) in the port.";
                case PYTORCH -> "use nn.Upsample(..., align_corners=False) in the port.";
                default -> "export the resize with coordinate_transformation_mode='half_pixel'.";
              };
          case "align_corners" ->
              switch (port) {
                case TENSORFLOW ->
                    "use tf.compat.v1.image.resize_bilinear(x, size, align_corners=True) in the"
                        + " port (UpSampling2D and tf.image.resize cannot align corners).";
                case PYTORCH -> "use nn.Upsample(..., align_corners=True) in the port.";
                default -> "export the resize with coordinate_transformation_mode='align_corners'.";
              };
          case "asymmetric" ->
              port == Framework.TENSORFLOW
                  ? "use tf.compat.v1.image.resize_bilinear(x, size) (neither align_corners nor"
                      + " half_pixel_centers) in the port."
                  : "map output pixel x to input x·in/out (ONNX 'asymmetric') in the port.";
          default -> "use coordinate_transformation_mode='" + r + "' in the port.";
        };
    return "resize coordinate_transformation_mode "
        + r
        + " vs "
        + o
        + " — "
        + (r.equals("half_pixel") || o.equals("half_pixel")
            ? "PyTorch's align_corners=False samples at half-pixel centres, align_corners=True"
                + " maps the corner pixels onto each other; "
            : "")
        + fix;
  }

  /** GELU exact vs tanh: the two forms differ by up to 4.7e-4 (at |x| = 2.69). */
  private static String gelu(String expected, String actual) {
    String fix =
        expected.equals("tanh")
            ? "use nn.GELU(approximate='tanh') / gelu(approximate=True) in the port."
            : "use nn.GELU() / approximate=False (Keras gelu(approximate=False), ONNX Erf) in"
                + " the port.";
    return "GELU approximate '"
        + expected
        + "' vs '"
        + actual
        + "' — one model computes exact GELU (erf), the other its tanh approximation (up to"
        + " 4.7e-4 apart); "
        + fix;
  }

  private String epsilonHint(
      OpKind kind, AttributeValue rv, AttributeValue ov, String ref, String other) {
    boolean tf =
        model(ref).framework() == Framework.TENSORFLOW
            || model(other).framework() == Framework.TENSORFLOW;
    double a = rv instanceof AttributeValue.Float f ? f.value() : Double.NaN;
    double b = ov instanceof AttributeValue.Float f ? f.value() : Double.NaN;
    String op = kind == OpKind.LAYER_NORM ? "LayerNormalization" : "BatchNormalization";
    boolean bert = near(a, 1e-12) || near(b, 1e-12);
    if (kind == OpKind.LAYER_NORM && bert && (near(a, 1e-3) || near(b, 1e-3))) {
      // Hugging Face ports rebuild each LayerNorm from the config; one built without
      // layer_norm_eps keeps its framework's default.
      return "BERT-style models set layer_norm_eps=1e-12; Keras' LayerNormalization defaults to"
          + " 1e-3 (PyTorch's LayerNorm to 1e-5), so the port kept Keras' default; ";
    }
    if (kind == OpKind.LAYER_NORM && bert && (near(a, 1e-5) || near(b, 1e-5))) {
      return "BERT-style models set layer_norm_eps=1e-12; PyTorch's LayerNorm defaults to 1e-5"
          + " (Keras' LayerNormalization to 1e-3), so the port kept PyTorch's default; ";
    }
    boolean defaults = (near(a, 1e-5) && near(b, 1e-3)) || (near(a, 1e-3) && near(b, 1e-5));
    if (!defaults) {
      return "";
    }
    return tf
        ? "Keras' " + op + " defaults to 1e-3, PyTorch to 1e-5; "
        : "Keras defaults " + op + " to 1e-3, PyTorch and ONNX to 1e-5; ";
  }

  private static boolean near(double v, double target) {
    return Math.abs(v - target) <= 0.01 * target;
  }

  private static String compact(AttributeValue v) {
    return v instanceof AttributeValue.Float f ? Numbers.format(f.value()) : v.render();
  }

  /** What a weight mismatch looks like, as the report's weight list and the sentence say it. */
  public static String weightDetail(WeightMismatch w) {
    if (w.foldedBatchNorm() != null) {
      WeightMismatch plain =
          new WeightMismatch(
              w.names(),
              w.role(),
              w.parameters(),
              w.modelId(),
              w.kind(),
              w.maxAbsDiff(),
              w.referenceShape(),
              w.shape(),
              w.digests(),
              w.permutation(),
              w.flattenChannels(),
              null);
      return weightDetail(plain)
          + ", under a folded BatchNorm (unfolded with '"
          + w.foldedBatchNorm()
          + "': w = w_folded / (gamma / sqrt(var + eps)) per output channel)";
    }
    boolean baseline = w.digests() != null;
    return switch (w.kind()) {
      case HW_SLIP -> "kernel equals the reference transposed (H<->W): a HWIO/OIHW slip";
      case IO_SLIP ->
          "kernel equals the reference with input and output channels swapped: an OIHW/IOHW slip";
      case CHANNELS_REVERSED ->
          "kernel equals the reference with its input channels reversed (RGB vs BGR)";
      case KERNEL_FLIPPED ->
          "kernel equals the reference rotated 180° (H and W reversed): convolution vs"
              + " correlation";
      case FLATTEN_ORDER ->
          "matrix keeps the reference's (c, h, w) flatten order of a "
              + w.flattenChannels()
              + "-channel map, but this model flattens (h, w, c)";
      case PERMUTED_INPUTS ->
          "matrix holds the reference's input features in another order (its feature i is the"
              + " reference's feature permutation[i], permutation "
              + abbreviated(w.permutation())
              + ")";
      case LINEAR_NOT_TRANSPOSED ->
          "matrix equals the reference transposed: a Dense [in, out] vs Linear [out, in] slip";
      case REORDERED ->
          "holds the baseline's values in another order (same sum, |sum| and L2): a layout or"
              + " transpose slip";
      case SHAPE_DIFFERS ->
          baseline
              ? "shape " + w.shape() + " differs from the baseline's " + w.referenceShape()
              : "shape "
                  + w.shape()
                  + " vs reference "
                  + w.referenceShape()
                  + " (canonical layout)";
      case FOLDED_MISMATCH ->
          "folded Conv+BatchNorm does not equal conv * gamma / sqrt(var + eps) with the other"
              + " model's BatchNorm (max abs diff "
              + Numbers.format(w.maxAbsDiff())
              + ")";
      case VALUES_DIFFER ->
          baseline
              ? "differs from the baseline's (checksum "
                  + w.digests().sha256().substring(0, 12)
                  + " vs "
                  + w.digests().referenceSha256().substring(0, 12)
                  + "; L2 "
                  + sixDigits(w.digests().norm())
                  + " vs "
                  + sixDigits(w.digests().referenceNorm())
                  + ")"
              : "values differ: max abs diff " + Numbers.format(w.maxAbsDiff());
    };
  }

  private static String weightFix(WeightMismatch w) {
    if (w.foldedBatchNorm() != null && w.kind() == WeightKind.HW_SLIP) {
      return "the fold is right but the folded kernel was written with H and W swapped: swap them"
          + " back (OIHW transpose(0, 1, 3, 2)) where the folded weights are written, or"
          + " re-export.";
    }
    return switch (w.kind()) {
      case HW_SLIP -> "convert OIHW to HWIO with transpose(2,3,1,0), not (3,2,1,0).";
      case LINEAR_NOT_TRANSPOSED ->
          "transpose the Linear weight (.T) when copying it into the Dense kernel.";
      case KERNEL_FLIPPED ->
          "copy the kernel without flipping it: PyTorch, TensorFlow and ONNX all compute"
              + " cross-correlation (no k[::-1, ::-1]).";
      case FLATTEN_ORDER -> flattenFix(w);
      case PERMUTED_INPUTS ->
          "copy the kernel as weight.T with its rows in the reference's input order (the rows"
              + " were shuffled by the permutation above).";
      case FOLDED_MISMATCH ->
          "re-export the model, or check the BatchNorm statistics it was folded with.";
      case CHANNELS_REVERSED ->
          "copy the kernel with its input channels in the reference's RGB order (no"
              + " k[:, :, ::-1, :]), or feed the port BGR images if that was meant.";
      case IO_SLIP, REORDERED, SHAPE_DIFFERS, VALUES_DIFFER ->
          "copy the weights from the reference again and check the conversion script.";
    };
  }

  private static String flattenFix(WeightMismatch w) {
    long c = w.flattenChannels();
    long pixels = w.referenceShape().size() == 2 && c > 0 ? w.referenceShape().get(1) / c : 0;
    long side = Math.round(Math.sqrt(pixels));
    String hw = side * side == pixels ? side + ", " + side : "H, W";
    return "reorder the Dense kernel rows to Keras' flatten order: kernel = W.reshape(out, "
        + c
        + ", "
        + hw
        + ").transpose(2, 3, 1, 0).reshape(-1, out).";
  }

  private static String abbreviated(List<Integer> p) {
    return p.size() <= 16 ? p.toString() : p.subList(0, 16).toString().replace("]", ", ...]");
  }

  private static String sixDigits(double v) {
    return String.format(Locale.ROOT, "%.6g", v);
  }

  /**
   * How an attribute value that no model stores was obtained, e.g. {@code m1 folds 'bn2' into
   * 'conv2'; its epsilon is inferred from the folded weights}; null for stored values.
   */
  public static String attributeNote(AttributeMismatch m) {
    if (m.inferredBy() == null) {
      return null;
    }
    String folded = m.names().get(m.inferredBy());
    String bn = null;
    for (Map.Entry<String, String> e : m.names().entrySet()) {
      bn = e.getKey().equals(m.inferredBy()) ? bn : e.getValue();
    }
    return m.inferredBy()
        + " folds '"
        + bn
        + "' into '"
        + folded
        + "'; its "
        + m.attribute()
        + " is inferred from the folded weights";
  }

  /**
   * Why a difference outside atol/rtol is float32 drift, for each model that drifts: {@code m1 max
   * abs diff 0.0117 = 5.6e-07 of its scale 2.08e+04 (rounding budget 3.8e-06)}.
   */
  public static String drift(LayerMetrics m) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, PairMetrics> e : m.vsReference().entrySet()) {
      if (e.getValue().drift()) {
        b.append(b.length() == 0 ? "" : "; ").append(e.getKey()).append(' ');
        b.append(drift(e.getValue()));
      }
    }
    return b.append(" — outside atol/rtol, within float32 rounding of values this large")
        .toString();
  }

  /** One model's drift: its difference relative to the tensor's scale and the budget. */
  public static String drift(PairMetrics p) {
    return "max abs diff "
        + Numbers.format(p.maxAbsDiff())
        + " = "
        + Numbers.format(p.scaledDiff())
        + " of its scale "
        + Numbers.format(p.scale())
        + " (rounding budget "
        + Numbers.format(p.roundingBudget())
        + ")";
  }

  private static String numbers(PairMetrics p) {
    if (p.nanMismatches() > 0) {
      return p.nanMismatches() + " NaN/Inf element(s) on one side only";
    }
    return p.elementwise()
        ? "max abs diff "
            + Numbers.format(p.maxAbsDiff())
            + ", cosine "
            + Numbers.format(p.cosine())
        : "statistics differ (" + p.comparedAs() + ")";
  }

  private static String extra(String id, List<OutputFinding.LayerRef> layers) {
    if (layers.isEmpty()) {
      return "";
    }
    List<String> ops =
        layers.stream().map(OutputFinding.LayerRef::opType).distinct().limit(6).toList();
    return ": "
        + id
        + " has "
        + layers.size()
        + " of them ("
        + String.join(", ", ops)
        + (layers.size() > ops.size() ? ", ..." : "")
        + ")";
  }

  private String head(String layer, String refId, String otherId) {
    return "layer '" + layer + "' [" + pair(refId, otherId) + "]: ";
  }

  /** {@code onnx vs pytorch}, with model ids when a framework appears twice. */
  private String pair(String refId, String otherId) {
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
}
