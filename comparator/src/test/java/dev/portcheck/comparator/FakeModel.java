package dev.portcheck.comparator;

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
import java.util.function.UnaryOperator;

/**
 * An in-memory model that really computes: Conv (3x3, stride 1, same padding), BatchNorm, ReLU,
 * global average pooling and Linear, internally channels-first. A channels-last (TensorFlow-style)
 * model exposes NHWC activations, HWIO kernels and IO matrices, as Keras does; parameter names
 * follow each framework's conventions so that alignment has to work for them.
 */
final class FakeModel implements ModelView {
  private final Framework framework;
  private final Layout layout;
  private final String inputName;
  private final long[] inputShape;
  private final boolean declareShape;
  private final List<Layer> layers;
  private final List<UnaryOperator<Tensor>> ops;
  private final Map<String, ParameterInfo> infos;
  private final Map<String, Tensor> params;
  private final String outputName;
  private final ModelDescription description;

  private FakeModel(Builder b) {
    framework = b.framework;
    layout = b.layout;
    inputName = b.inputName;
    inputShape = b.inputShape;
    declareShape = b.declareShape;
    layers = List.copyOf(b.layers);
    ops = List.copyOf(b.ops);
    infos = b.infos;
    params = b.params;
    outputName = b.outputName;
    List<Long> shape = null;
    if (declareShape) {
      long[] s = layout == Layout.NHWC ? toNhwc(inputShape) : inputShape;
      shape = Arrays.stream(s).boxed().toList();
    }
    description =
        new ModelDescription(
            framework,
            Path.of("fake." + framework.id()),
            Map.of(),
            List.of(new TensorInfo(inputName, DType.FLOAT32, shape, layout)),
            List.of(new TensorInfo(outputName, DType.FLOAT32, null, Layout.UNSPECIFIED)),
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

  static Builder builder(Framework fw) {
    return new Builder(fw, fw == Framework.TENSORFLOW ? Layout.NHWC : Layout.NCHW);
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
    Tensor x = inputs.get(inputName);
    if (x == null) {
      throw PortcheckException.badInput(source(), "missing input " + inputName);
    }
    if (layout == Layout.NHWC) {
      x = x.transpose(0, 3, 1, 2);
    }
    Map<String, Tensor> outs = new LinkedHashMap<>();
    for (int i = 0; i < layers.size(); i++) {
      x = ops.get(i).apply(x);
      Tensor shown = layout == Layout.NHWC && x.rank() == 4 ? x.transpose(0, 2, 3, 1) : x;
      if (taps.includes(layers.get(i).name())) {
        outs.put(layers.get(i).name(), shown);
      }
    }
    return new RunResult(Map.of(outputName, x), outs, List.of());
  }

  @Override
  public void close() {}

  static long[] toNhwc(long[] s) {
    return new long[] {s[0], s[2], s[3], s[1]};
  }

  /** Builds a model layer by layer; parameters are given in PyTorch layout. */
  static final class Builder {
    private final Framework framework;
    private Layout layout;
    private String inputName = "input";
    private long[] inputShape = {1, 3, 8, 8};
    private boolean declareShape = true;
    private final List<Layer> layers = new ArrayList<>();
    private final List<UnaryOperator<Tensor>> ops = new ArrayList<>();
    private final Map<String, ParameterInfo> infos = new LinkedHashMap<>();
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, UnaryOperator<Tensor>> tweaks = new LinkedHashMap<>();
    private String outputName = "output";
    private String prev;

    private Builder(Framework fw, Layout layout) {
      this.framework = fw;
      this.layout = layout;
    }

    Builder input(String name, long... nchw) {
      inputName = name;
      inputShape = nchw;
      return this;
    }

    /** TorchScript-like: no declared shape. */
    Builder undeclaredShape() {
      declareShape = false;
      return this;
    }

    Builder outputName(String name) {
      outputName = name;
      return this;
    }

    /** Changes the named layer's output (and so everything downstream) after it is computed. */
    Builder tweak(String layer, UnaryOperator<Tensor> f) {
      tweaks.put(layer, f);
      return this;
    }

    private boolean tf() {
      return framework == Framework.TENSORFLOW;
    }

    private String param(
        String prefix, String torchSuffix, String tfSuffix, Tensor value, WeightLayout wl) {
      String name = tf() ? prefix + tfSuffix + ":0" : prefix + torchSuffix;
      Tensor stored = value;
      if (wl == WeightLayout.HWIO) {
        stored = value.transpose(2, 3, 1, 0);
      } else if (wl == WeightLayout.IO) {
        stored = value.transpose(1, 0);
      }
      params.put(name, stored);
      infos.put(
          name,
          new ParameterInfo(
              name, DType.FLOAT32, Arrays.stream(stored.shape()).boxed().toList(), wl));
      return name;
    }

    private Builder add(
        String name,
        String opType,
        OpKind kind,
        Map<String, AttributeValue> attrs,
        Map<String, String> roles,
        boolean spatialOut,
        UnaryOperator<Tensor> op) {
      List<String> in = List.of(prev == null ? inputName : "t:" + prev);
      Layout l = spatialOut ? layout : Layout.UNSPECIFIED;
      layers.add(
          new Layer(name, opType, kind, in, List.of("t:" + name), attrs, roles, l, null, true));
      ops.add(
          x -> {
            Tensor y = op.apply(x);
            UnaryOperator<Tensor> t = tweaks.get(name);
            return t == null ? y : t.apply(y);
          });
      prev = name;
      return this;
    }

    /** A 3x3 same-padded conv; {@code w} is OIHW. */
    Builder conv(String name, String prefix, Tensor w, Tensor b) {
      WeightLayout wl = tf() ? WeightLayout.HWIO : WeightLayout.OIHW;
      Map<String, String> roles = new LinkedHashMap<>();
      roles.put("weight", param(prefix, "weight", "kernel", w, wl));
      roles.put("bias", param(prefix, "bias", "bias", b, WeightLayout.VECTOR));
      Map<String, AttributeValue> attrs = new LinkedHashMap<>();
      if (tf()) {
        attrs.put("padding", AttributeValue.of("SAME"));
        attrs.put("strides", AttributeValue.ints(List.of(1L, 1L, 1L, 1L)));
      } else {
        attrs.put("pads", AttributeValue.ints(List.of(1L, 1L, 1L, 1L)));
        attrs.put("strides", AttributeValue.ints(List.of(1L, 1L)));
        attrs.put("kernel_shape", AttributeValue.ints(List.of(3L, 3L)));
      }
      String op =
          switch (framework) {
            case TENSORFLOW -> "Conv2D";
            case ONNX -> "Conv";
            case PYTORCH -> "torch.nn.Conv2d";
          };
      return add(name, op, OpKind.CONV, attrs, roles, true, x -> Ops.conv(x, w, b));
    }

    Builder bn(String name, String prefix, Tensor[] gbmv, double eps) {
      Map<String, String> roles = new LinkedHashMap<>();
      if (tf()) {
        roles.put("scale", param(prefix, "", "gamma", gbmv[0], WeightLayout.VECTOR));
        roles.put("offset", param(prefix, "", "beta", gbmv[1], WeightLayout.VECTOR));
        roles.put("mean", param(prefix, "", "moving_mean", gbmv[2], WeightLayout.VECTOR));
        roles.put("variance", param(prefix, "", "moving_variance", gbmv[3], WeightLayout.VECTOR));
      } else {
        // PyTorch state_dict names; the role names a norm's gamma "weight", as torch does.
        roles.put("weight", param(prefix, "weight", "", gbmv[0], WeightLayout.VECTOR));
        roles.put("bias", param(prefix, "bias", "", gbmv[1], WeightLayout.VECTOR));
        roles.put("mean", param(prefix, "running_mean", "", gbmv[2], WeightLayout.VECTOR));
        roles.put("variance", param(prefix, "running_var", "", gbmv[3], WeightLayout.VECTOR));
      }
      Map<String, AttributeValue> attrs = new LinkedHashMap<>();
      attrs.put("epsilon", AttributeValue.of(eps));
      attrs.put("momentum", AttributeValue.of(tf() ? 0.99 : 0.1));
      String op =
          switch (framework) {
            case TENSORFLOW -> "FusedBatchNormV3";
            case ONNX -> "BatchNormalization";
            case PYTORCH -> "torch.nn.BatchNorm2d";
          };
      return add(name, op, OpKind.BATCH_NORM, attrs, roles, true, x -> Ops.bn(x, gbmv, eps));
    }

    /** The conv with the BatchNorm folded in, as torch.onnx.export does in eval mode. */
    Builder foldedConv(
        String name, String paramName, Tensor w, Tensor b, Tensor[] gbmv, double eps) {
      Tensor[] f = Ops.fold(w, b, gbmv, eps);
      Builder me = conv(name, "", f[0], f[1]);
      // Rename the parameters to ONNX's anonymous initializer names.
      Layer l = layers.remove(layers.size() - 1);
      Map<String, String> roles = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : l.parameters().entrySet()) {
        String n = paramName + "_" + e.getKey();
        params.put(n, params.remove(e.getValue()));
        infos.put(
            n,
            new ParameterInfo(
                n,
                DType.FLOAT32,
                infos.remove(e.getValue()).shape(),
                e.getKey().equals("weight") ? WeightLayout.OIHW : WeightLayout.VECTOR));
        roles.put(e.getKey(), n);
      }
      layers.add(
          new Layer(
              l.name(),
              l.opType(),
              l.kind(),
              l.inputs(),
              l.outputs(),
              l.attributes(),
              roles,
              l.layout(),
              null,
              true));
      return me;
    }

    Builder relu(String name) {
      String op = framework == Framework.PYTORCH ? "torch.nn.ReLU" : "Relu";
      return add(name, op, OpKind.RELU, Map.of(), Map.of(), true, Ops::relu);
    }

    /** Global average pooling; ONNX keeps [N, C, 1, 1], the others give [N, C]. */
    Builder gap(String name) {
      boolean keep = framework == Framework.ONNX;
      String op =
          switch (framework) {
            case TENSORFLOW -> "Mean";
            case ONNX -> "GlobalAveragePool";
            case PYTORCH -> "torch.nn.AdaptiveAvgPool2d";
          };
      return add(name, op, OpKind.GLOBAL_AVG_POOL, Map.of(), Map.of(), keep, x -> Ops.gap(x, keep));
    }

    /** A Linear; {@code w} is [out, in]. */
    Builder linear(String name, String prefix, Tensor w, Tensor b) {
      WeightLayout wl = tf() ? WeightLayout.IO : WeightLayout.OI;
      Map<String, String> roles = new LinkedHashMap<>();
      roles.put("weight", param(prefix, "weight", "kernel", w, wl));
      roles.put("bias", param(prefix, "bias", "bias", b, WeightLayout.VECTOR));
      String op =
          switch (framework) {
            case TENSORFLOW -> "MatMul";
            case ONNX -> "Gemm";
            case PYTORCH -> "torch.nn.Linear";
          };
      OpKind kind = tf() ? OpKind.MATMUL : OpKind.LINEAR;
      return add(name, op, kind, Map.of(), roles, false, x -> Ops.linear(x, w, b));
    }

    FakeModel build() {
      return new FakeModel(this);
    }
  }
}
