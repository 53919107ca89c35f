package dev.portcheck.comparator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.comparator.align.Aligner;
import dev.portcheck.comparator.align.FoldedBatchNorm;
import dev.portcheck.comparator.align.Weights;
import dev.portcheck.comparator.report.AlignedBy;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.comparator.report.LayerComparison;
import dev.portcheck.comparator.report.LayerStatus;
import dev.portcheck.comparator.report.Verdict;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.LayoutConvention;
import dev.portcheck.importers.api.ModelDescription;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.api.WeightLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Fold detection that needs one epsilon for every channel, and alignment by dataflow: a BatchNorm
 * exported as Mul+Add (onnx2tf) and a Linear whose bias is added after the MatMul.
 */
class DataflowAlignmentTest {

  // ---- FoldedBatchNorm.detect ----

  @Test
  void identityScaleIsNotAFold() {
    Random r = new Random(3);
    Tensor raw = Cnn.randn(r, 0.3, 8, 4, 3, 3);
    float[] g = new float[8];
    float[] v = new float[8];
    for (int c = 0; c < 8; c++) {
      g[c] = (float) (0.8 + 0.4 * r.nextDouble());
      // eps_c = g^2 - var_c lands anywhere in [0.01, 0.5]: a median in [0, 1] that the old check
      // accepted although no single epsilon gives a scale of 1 for every channel.
      v[c] = (float) (g[c] * g[c] - (0.01 + 0.49 * r.nextDouble()));
    }
    Tensor gamma = Tensor.ofFloats(new long[] {8}, g);
    Tensor var = Tensor.ofFloats(new long[] {8}, v);
    assertTrue(FoldedBatchNorm.detect(raw, raw, gamma, var).isEmpty());
  }

  @Test
  void foldWithAnotherEpsilonIsDetectedAndItsEpsilonInferred() {
    Random r = new Random(5);
    Tensor w = Cnn.randn(r, 0.3, 8, 4, 3, 3);
    Tensor b = Tensor.filled(new long[] {8}, 0f);
    // Small variances, as in the fixtures' planted bug, so that 1e-3 vs 1e-5 matters.
    Tensor[] bn = {
      Cnn.uniform(r, 0.5, 1.5, 8),
      Cnn.randn(r, 0.2, 8),
      Cnn.randn(r, 0.2, 8),
      Cnn.uniform(r, 0.0005, 0.003, 8)
    };
    Tensor folded = Ops.fold(w, b, bn, 1e-3)[0];
    Optional<FoldedBatchNorm.Result> res = FoldedBatchNorm.detect(w, folded, bn[0], bn[3]);
    assertTrue(res.isPresent());
    assertEquals(1e-3, res.get().inferredEpsilon(), 1e-5);

    Tensor[] wide = {bn[0], bn[1], bn[2], Cnn.uniform(r, 0.5, 1.5, 8)};
    Optional<FoldedBatchNorm.Result> plain =
        FoldedBatchNorm.detect(w, Ops.fold(w, b, wide, 1e-5)[0], wide[0], wide[3]);
    assertTrue(plain.isPresent());
    assertEquals(1e-5, plain.get().inferredEpsilon(), 1e-6);
  }

  @Test
  void foldIsRejectedWhenOneChannelNeedsAnotherEpsilon() {
    Random r = new Random(9);
    Tensor w = Cnn.randn(r, 0.3, 8, 4, 3, 3);
    Tensor b = Tensor.filled(new long[] {8}, 0f);
    Tensor[] bn = {
      Cnn.uniform(r, 0.5, 1.5, 8),
      Cnn.randn(r, 0.2, 8),
      Cnn.randn(r, 0.2, 8),
      Cnn.uniform(r, 0.001, 0.003, 8)
    };
    float[] f = Ops.fold(w, b, bn, 1e-5)[0].toFloatArray();
    int per = f.length / 8;
    for (int i = 0; i < per; i++) {
      f[7 * per + i] *= 0.9f; // channel 7 scaled 10% off: no epsilon explains it
    }
    Tensor folded = Tensor.ofFloats(w.shape(), f);
    assertTrue(FoldedBatchNorm.detect(w, folded, bn[0], bn[3]).isEmpty());
  }

  // ---- alignment by dataflow, on a PyTorch-like reference without tensor names ----

  private static final double EPS = 1e-5;

  /** conv1 - bn1 - relu1 - pool - fc, as TorchScript lists modules: no inputs. */
  private static GraphModel torch(Net n) {
    GraphModel.Builder m = new GraphModel.Builder(Framework.PYTORCH, false);
    m.layer("conv1", "torch.nn.Conv2d", OpKind.CONV, x -> Ops.conv(x, n.w, n.zero))
        .param("weight", "conv1.weight", n.w, WeightLayout.OIHW);
    m.layer("bn1", "torch.nn.BatchNorm2d", OpKind.BATCH_NORM, x -> Ops.bn(x, n.bn, EPS))
        .param("weight", "bn1.weight", n.bn[0], WeightLayout.VECTOR)
        .param("bias", "bn1.bias", n.bn[1], WeightLayout.VECTOR)
        .param("running_mean", "bn1.running_mean", n.bn[2], WeightLayout.VECTOR)
        .param("running_var", "bn1.running_var", n.bn[3], WeightLayout.VECTOR)
        .attr("epsilon", AttributeValue.of(EPS));
    m.layer("relu1", "torch.nn.ReLU", OpKind.RELU, Ops::relu);
    m.layer("pool", "torch.nn.AdaptiveAvgPool2d", OpKind.AVG_POOL, x -> Ops.gap(x, false));
    m.layer("fc", "torch.nn.Linear", OpKind.LINEAR, x -> Ops.linear(x, n.fw, n.fb))
        .param("weight", "fc.weight", n.fw, WeightLayout.OI)
        .param("bias", "fc.bias", n.fb, WeightLayout.VECTOR);
    return m.build();
  }

  /**
   * onnx2tf-like: the BatchNorm is Mul+Add with constants, the Linear a MatMul followed by a Mul by
   * 1 and the bias Add; parameters have anonymous names and the constants are not parameters.
   */
  private static GraphModel onnx2tf(Net n) {
    GraphModel.Builder m = new GraphModel.Builder(Framework.TENSORFLOW, true);
    float[] scale = new float[n.c];
    float[] shift = new float[n.c];
    for (int c = 0; c < n.c; c++) {
      double s = n.bn[0].getFloat(c) / Math.sqrt(n.bn[3].getFloat(c) + EPS);
      scale[c] = (float) s;
      shift[c] = (float) (n.bn[1].getFloat(c) - n.bn[2].getFloat(c) * s);
    }
    m.layer("tf.nn.convolution", "Conv2D", OpKind.CONV, x -> Ops.conv(x, n.w, n.zero))
        .param("weight", "Const_8", n.w, WeightLayout.OIHW);
    m.layer("tf.math.multiply", "Mul", OpKind.MUL, x -> perChannel(x, scale, true));
    m.layer("tf.__operators__.add", "AddV2", OpKind.ADD, x -> perChannel(x, shift, false));
    m.layer("tf.nn.relu", "Relu", OpKind.RELU, Ops::relu);
    m.layer("tf.math.reduce_mean", "Mean", OpKind.REDUCE_MEAN, x -> Ops.gap(x, false));
    Tensor noBias = Tensor.filled(new long[] {n.fb.size()}, 0f);
    m.layer("tf.linalg.matmul", "MatMul", OpKind.MATMUL, x -> Ops.linear(x, n.fw, noBias))
        .param("weight", "Const_2", n.fw, WeightLayout.OI);
    m.layer("tf.math.multiply_4", "Mul", OpKind.MUL, x -> x);
    m.layer("logits", "AddV2", OpKind.ADD, x -> perChannel(x, n.fb.toFloatArray(), false));
    return m.build();
  }

  @Test
  void batchNormAlignsWithMulAddChainByDataflow() {
    Net n = new Net(11);
    Aligner.Alignment al = Aligner.align(List.of(weights(torch(n)), weights(onnx2tf(n))));
    assertTrue(al.folds().isEmpty(), "equal conv weights are no fold: " + al.folds());
    Aligner.Row conv = row(al, "conv1");
    assertEquals("tf.nn.convolution", conv.layer(1).name());
    assertEquals(AlignedBy.PARAMETER_FINGERPRINT, conv.evidence(1));
    assertEquals("tf.nn.convolution", conv.tap(1));
    Aligner.Row bn = row(al, "bn1");
    assertEquals("tf.__operators__.add", bn.layer(1).name());
    assertEquals(AlignedBy.OUTPUT, bn.evidence(1));
    // The Mul is listed on its own, never dropped, and says where it belongs.
    Aligner.Row mul = otherRow(al, "tf.math.multiply");
    assertNull(mul.layer(0));
    assertEquals(LayerStatus.UNALIGNED, mul.preset());
    assertTrue(mul.note().contains("'bn1'"), mul.note());

    ComparisonReport r = compare(torch(n), onnx2tf(n));
    assertEquals(Verdict.MATCH, r.verdict(), () -> String.valueOf(r.firstDivergence()));
    LayerComparison bnRow = layer(r, "bn1");
    assertEquals(LayerStatus.MATCH, bnRow.status());
    assertEquals(AlignedBy.OUTPUT, bnRow.alignedBy());
    assertTrue(r.attributeMismatches().isEmpty(), r.attributeMismatches().toString());
  }

  @Test
  void linearIsComparedAtTheEndOfItsBiasChain() {
    Net n = new Net(13);
    Aligner.Alignment al = Aligner.align(List.of(weights(torch(n)), weights(onnx2tf(n))));
    Aligner.Row fc = row(al, "fc");
    assertEquals("tf.linalg.matmul", fc.layer(1).name());
    assertEquals("logits", fc.tap(1));
    assertEquals("fc", fc.refTap(1));
    assertTrue(otherRow(al, "logits").note().contains("'fc'"));
    assertTrue(otherRow(al, "tf.math.multiply_4").note().contains("'fc'"));

    ComparisonReport r = compare(torch(n), onnx2tf(n));
    LayerComparison fcRow = layer(r, "fc");
    assertEquals(LayerStatus.MATCH, fcRow.status());
    assertEquals(
        fcRow.metrics().stats().get("m0").mean(), fcRow.metrics().stats().get("m1").mean(), 1e-5);
  }

  @Test
  void theSplitModelCanBeTheReference() {
    Net n = new Net(17);
    Aligner.Alignment al = Aligner.align(List.of(weights(onnx2tf(n)), weights(torch(n))));
    Aligner.Row mm = row(al, "tf.linalg.matmul");
    assertEquals("fc", mm.layer(1).name());
    assertEquals("logits", mm.refTap(1));
    assertEquals("fc", mm.tap(1));
    assertEquals("bn1", row(al, "tf.__operators__.add").layer(1).name());
    assertEquals(Verdict.MATCH, compare(onnx2tf(n), torch(n)).verdict());
  }

  @Test
  void aConvWithoutBiasKeepsItsOwnOutput() {
    // The conv has no bias of its own here, so the Mul+Add after it is the BatchNorm, not part of
    // the conv: conv1 keeps its own output.
    Net n = new Net(19);
    Aligner.Alignment al = Aligner.align(List.of(weights(torch(n)), weights(onnx2tf(n))));
    Aligner.Row conv = row(al, "conv1");
    assertEquals("tf.nn.convolution", conv.tap(1));
    assertEquals("conv1", conv.refTap(1));
    assertFalse(conv.note() != null && conv.note().contains("compared at"));
  }

  /**
   * torchvision's ViT MLP: Linear, GELU, Dropout, Linear. The ONNX export has no Dropout and spells
   * the GELU out, ending in Mul (x * (1 + erf(x / sqrt 2)), twice the GELU) and Mul_1 (times 0.5).
   */
  @Test
  void geluIsPairedWithItsLastMulThroughADropoutTheExportDropped() {
    Random r = new Random(23);
    Tensor w1 = Cnn.randn(r, 0.1, 6, 108); // the fake models take [1, 3, 6, 6]
    Tensor b1 = Cnn.randn(r, 0.1, 6);
    Tensor w2 = Cnn.randn(r, 0.5, 5, 6);
    Tensor b2 = Cnn.randn(r, 0.1, 5);
    UnaryOperator<Tensor> gelu = x -> map(x, 1.0);
    GraphModel.Builder t = new GraphModel.Builder(Framework.PYTORCH, false);
    t.layer("fc1", "torch.nn.Linear", OpKind.LINEAR, x -> Ops.linear(flat(x), w1, b1))
        .param("weight", "fc1.weight", w1, WeightLayout.OI)
        .param("bias", "fc1.bias", b1, WeightLayout.VECTOR);
    t.layer("gelu", "torch.nn.GELU", OpKind.GELU, gelu);
    t.layer("drop", "torch.nn.Dropout", OpKind.DROPOUT, x -> x);
    t.layer("fc2", "torch.nn.Linear", OpKind.LINEAR, x -> Ops.linear(x, w2, b2))
        .param("weight", "fc2.weight", w2, WeightLayout.OI)
        .param("bias", "fc2.bias", b2, WeightLayout.VECTOR);
    GraphModel.Builder o = new GraphModel.Builder(Framework.ONNX, true);
    o.layer("/fc1/Gemm", "Gemm", OpKind.LINEAR, x -> Ops.linear(flat(x), w1, b1))
        .param("weight", "fc1.weight", w1, WeightLayout.OI)
        .param("bias", "fc1.bias", b1, WeightLayout.VECTOR);
    o.layer("/gelu/Mul", "Mul", OpKind.MUL, x -> map(x, 2.0));
    o.layer("/gelu/Mul_1", "Mul", OpKind.MUL, x -> scaled(x, 0.5f));
    o.layer("/fc2/Gemm", "Gemm", OpKind.LINEAR, x -> Ops.linear(x, w2, b2))
        .param("weight", "fc2.weight", w2, WeightLayout.OI)
        .param("bias", "fc2.bias", b2, WeightLayout.VECTOR);
    Aligner.Alignment al = Aligner.align(List.of(weights(t.build()), weights(o.build())));
    Aligner.Row g = row(al, "gelu");
    assertEquals("/gelu/Mul_1", g.layer(1).name());
    assertEquals(AlignedBy.OUTPUT, g.evidence(1));
    assertNull(row(al, "drop").layer(1), "the Dropout has no counterpart");

    ComparisonReport rep = compare(t.build(), o.build());
    assertEquals(Verdict.MATCH, rep.verdict(), () -> String.valueOf(rep.firstDivergence()));
    assertEquals(LayerStatus.MATCH, layer(rep, "gelu").status());
  }

  /** {@code k} times the exact GELU of every element. */
  private static Tensor map(Tensor x, double k) {
    float[] v = x.toFloatArray();
    for (int i = 0; i < v.length; i++) {
      double z = v[i];
      v[i] = (float) (k * 0.5 * z * (1 + erf(z / Math.sqrt(2))));
    }
    return Tensor.ofFloats(x.shape(), v);
  }

  private static Tensor scaled(Tensor x, float k) {
    float[] v = x.toFloatArray();
    for (int i = 0; i < v.length; i++) {
      v[i] *= k;
    }
    return Tensor.ofFloats(x.shape(), v);
  }

  /** [N, C, H, W] -> [N, C*H*W], so the MLP can take the fixtures' image input. */
  private static Tensor flat(Tensor x) {
    long[] s = x.shape();
    return x.reshape(new long[] {s[0], x.size() / s[0]});
  }

  /** Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7): the same function on both sides. */
  private static double erf(double z) {
    double t = 1 / (1 + 0.3275911 * Math.abs(z));
    double y =
        1
            - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
                    + 0.254829592)
                * t
                * Math.exp(-z * z);
    return z >= 0 ? y : -y;
  }

  // ---- helpers ----

  private static ComparisonReport compare(ModelView... models) {
    return ModelComparison.compare(List.of(models), CompareOptions.defaults());
  }

  private static Weights weights(ModelView m) {
    return new Weights(m);
  }

  private static Aligner.Row row(Aligner.Alignment al, String refName) {
    return al.rows().stream()
        .filter(r -> r.layer(0) != null && r.layer(0).name().equals(refName))
        .findFirst()
        .orElseThrow();
  }

  private static Aligner.Row otherRow(Aligner.Alignment al, String name) {
    return al.rows().stream()
        .filter(r -> r.layer(1) != null && r.layer(1).name().equals(name))
        .findFirst()
        .orElseThrow();
  }

  private static LayerComparison layer(ComparisonReport r, String m0) {
    LayerComparison l =
        r.layers().stream().filter(x -> m0.equals(x.names().get("m0"))).findFirst().orElse(null);
    assertNotNull(l, m0);
    return l;
  }

  /** x * v or x + v per channel (axis 1). */
  private static Tensor perChannel(Tensor x, float[] v, boolean mul) {
    long[] s = x.shape();
    int c = (int) s[1];
    int inner = 1;
    for (int i = 2; i < s.length; i++) {
      inner *= (int) s[i];
    }
    float[] d = x.toFloatArray();
    for (int i = 0; i < d.length; i++) {
      int ch = (i / inner) % c;
      d[i] = mul ? d[i] * v[ch] : d[i] + v[ch];
    }
    return Tensor.ofFloats(s, d);
  }

  /** Seeded parameters: 3 -> 4 channels, 4 -> 5 classes. */
  private static final class Net {
    final int c = 4;
    final Tensor w;
    final Tensor zero = Tensor.filled(new long[] {4}, 0f);
    final Tensor[] bn;
    final Tensor fw;
    final Tensor fb;

    Net(long seed) {
      Random r = new Random(seed);
      w = Cnn.randn(r, 0.3, 4, 3, 3, 3);
      bn =
          new Tensor[] {
            Cnn.uniform(r, 0.5, 1.5, 4),
            Cnn.randn(r, 0.2, 4),
            Cnn.randn(r, 0.2, 4),
            Cnn.uniform(r, 0.5, 1.5, 4)
          };
      fw = Cnn.randn(r, 0.5, 5, 4);
      fb = Cnn.randn(r, 0.1, 5);
    }
  }

  /**
   * A chain of layers, channels-first throughout. With {@code graph}, each layer reads the previous
   * layer's tensor (constants are not listed, as in TensorFlow); without, layers list no inputs and
   * their output is their name, as TorchScript modules do.
   */
  static final class GraphModel implements ModelView {
    private final Framework framework;
    private final boolean graph;
    private final List<Layer> layers;
    private final List<UnaryOperator<Tensor>> ops;
    private final Map<String, ParameterInfo> infos;
    private final Map<String, Tensor> params;
    private final ModelDescription description;

    private GraphModel(Builder b) {
      framework = b.framework;
      graph = b.graph;
      layers = b.specs.stream().map(LayerSpec::layer).toList();
      ops = b.specs.stream().map(s -> s.op).toList();
      infos = b.infos;
      params = b.params;
      List<Long> shape = graph ? List.of(1L, 3L, 6L, 6L) : null;
      description =
          new ModelDescription(
              framework,
              Path.of("graph." + framework.id()),
              Map.of(),
              List.of(new TensorInfo("x", DType.FLOAT32, shape, Layout.NCHW)),
              // Like a SavedModel signature: a name no layer writes.
              List.of(new TensorInfo("output_0", DType.FLOAT32, null, Layout.UNSPECIFIED)),
              layers,
              infos,
              LayoutConvention.NONE,
              true,
              Map.of());
    }

    @Override
    public ModelDescription description() {
      return description;
    }

    @Override
    public Tensor parameter(String name) {
      Tensor t = params.get(name);
      if (t == null) {
        throw PortcheckException.of(PortcheckException.Reason.NOT_FOUND, name, null);
      }
      return t;
    }

    @Override
    public boolean runnable() {
      return true;
    }

    @Override
    public RunResult run(Map<String, Tensor> inputs, TapSelection taps) {
      Tensor x = inputs.get("x");
      Map<String, Tensor> outs = new LinkedHashMap<>();
      for (int i = 0; i < layers.size(); i++) {
        x = ops.get(i).apply(x);
        if (taps.includes(layers.get(i).name())) {
          outs.put(layers.get(i).name(), x);
        }
      }
      return new RunResult(Map.of("output_0", x), outs, List.of());
    }

    @Override
    public void close() {}

    static final class LayerSpec {
      final String name;
      final String opType;
      final OpKind kind;
      final UnaryOperator<Tensor> op;
      final String input;
      final Builder owner;
      final Map<String, String> roles = new LinkedHashMap<>();
      final Map<String, AttributeValue> attrs = new LinkedHashMap<>();

      LayerSpec(
          Builder owner,
          String name,
          String opType,
          OpKind kind,
          String input,
          UnaryOperator<Tensor> op) {
        this.owner = owner;
        this.name = name;
        this.opType = opType;
        this.kind = kind;
        this.input = input;
        this.op = op;
      }

      LayerSpec param(String role, String name, Tensor value, WeightLayout wl) {
        roles.put(role, name);
        owner.params.put(name, value);
        owner.infos.put(
            name,
            new ParameterInfo(
                name, DType.FLOAT32, Arrays.stream(value.shape()).boxed().toList(), wl));
        return this;
      }

      LayerSpec attr(String key, AttributeValue v) {
        attrs.put(key, v);
        return this;
      }

      Layer layer() {
        List<String> in = owner.graph ? List.of(input) : List.of();
        String out = owner.graph ? "t:" + name : name;
        return new Layer(
            name, opType, kind, in, List.of(out), attrs, roles, Layout.UNSPECIFIED, null, true);
      }
    }

    static final class Builder {
      final Framework framework;
      final boolean graph;
      final List<LayerSpec> specs = new ArrayList<>();
      final Map<String, ParameterInfo> infos = new LinkedHashMap<>();
      final Map<String, Tensor> params = new LinkedHashMap<>();

      Builder(Framework framework, boolean graph) {
        this.framework = framework;
        this.graph = graph;
      }

      LayerSpec layer(String name, String opType, OpKind kind, UnaryOperator<Tensor> op) {
        String input = specs.isEmpty() ? "x" : "t:" + specs.get(specs.size() - 1).name;
        LayerSpec s = new LayerSpec(this, name, opType, kind, input, op);
        specs.add(s);
        return s;
      }

      GraphModel build() {
        return new GraphModel(this);
      }
    }
  }
}
