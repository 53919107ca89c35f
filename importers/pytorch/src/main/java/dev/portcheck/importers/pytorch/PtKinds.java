package dev.portcheck.importers.pytorch;

import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.WeightLayout;
import dev.portcheck.importers.pytorch.pickle.PtPickled;
import java.util.List;
import java.util.Locale;

/** Maps torch module classes and state_dict names onto the framework-neutral vocabulary. */
final class PtKinds {
  private PtKinds() {}

  /**
   * A readable op type for a TorchScript class name: {@code
   * __torch__.torch.nn.modules.batchnorm.___torch_mangle_1.BatchNorm2d} becomes {@code
   * torch.nn.BatchNorm2d}; user classes keep their module path without {@code __torch__.}.
   */
  static String displayName(String qualified) {
    String s = qualified.startsWith("__torch__.") ? qualified.substring(10) : qualified;
    s = s.replaceAll("___torch_mangle_\\d+\\.", "");
    if (s.startsWith("torch.nn.modules.")) {
      return "torch.nn." + simpleName(s);
    }
    return s;
  }

  static String simpleName(String qualified) {
    int dot = qualified.lastIndexOf('.');
    return dot < 0 ? qualified : qualified.substring(dot + 1);
  }

  /**
   * Whether a module is a dense layer named Conv1D: Hugging Face's {@code
   * transformers.pytorch_utils.Conv1D} (GPT-2) computes {@code x @ W + b} with a 2-D weight stored
   * {@code [in, out]}, where {@code torch.nn.Conv1d} holds a 3-D kernel.
   */
  static boolean isDenseConv1d(String qualifiedClass, PtPickled.TensorRef weight) {
    String simple = simpleName(qualifiedClass);
    return simple.equalsIgnoreCase("conv1d")
        && !displayName(qualifiedClass).startsWith("torch.nn.")
        && weight != null
        && weight.shape().length == 2;
  }

  /** The kind of a module by its class's simple name. */
  static OpKind kindOf(String simple, boolean hasChildren) {
    String n = simple.toLowerCase(Locale.ROOT);
    if (n.contains("gelu")) {
      // nn.GELU and Hugging Face's GELUActivation, NewGELUActivation (tanh), GELUTanh...
      return OpKind.GELU;
    }
    if (n.startsWith("convtranspose")) {
      return OpKind.CONV_TRANSPOSE;
    }
    if (n.matches("conv[123]d")) {
      return OpKind.CONV;
    }
    if (n.startsWith("batchnorm") || n.startsWith("syncbatchnorm")) {
      return OpKind.BATCH_NORM;
    }
    if (n.equals("layernorm")) {
      return OpKind.LAYER_NORM;
    }
    if (n.startsWith("instancenorm")) {
      return OpKind.INSTANCE_NORM;
    }
    if (n.equals("groupnorm")) {
      return OpKind.GROUP_NORM;
    }
    OpKind k =
        switch (n) {
          case "linear" -> OpKind.LINEAR;
          case "relu" -> OpKind.RELU;
          case "relu6" -> OpKind.RELU6;
          case "hardtanh" -> OpKind.CLIP;
          case "leakyrelu" -> OpKind.LEAKY_RELU;
          case "sigmoid" -> OpKind.SIGMOID;
          case "tanh" -> OpKind.TANH;
          case "gelu" -> OpKind.GELU;
          case "silu" -> OpKind.SILU;
          case "softmax" -> OpKind.SOFTMAX;
          case "maxpool1d", "maxpool2d", "maxpool3d" -> OpKind.MAX_POOL;
          case "avgpool1d", "avgpool2d", "avgpool3d" -> OpKind.AVG_POOL;
          case "adaptiveavgpool1d", "adaptiveavgpool2d", "adaptiveavgpool3d" -> OpKind.AVG_POOL;
          case "upsample", "upsamplingbilinear2d", "upsamplingnearest2d" -> OpKind.RESIZE;
          case "multiheadattention" -> OpKind.ATTENTION;
          case "lstm", "lstmcell" -> OpKind.LSTM;
          case "gru", "grucell" -> OpKind.GRU;
          case "dropout", "dropout1d", "dropout2d", "dropout3d" -> OpKind.DROPOUT;
          case "identity" -> OpKind.IDENTITY;
          case "flatten" -> OpKind.FLATTEN;
          case "sequential", "modulelist", "moduledict" -> OpKind.CONTAINER;
          default -> hasChildren ? OpKind.CONTAINER : OpKind.OTHER;
        };
    return k;
  }

  /** The canonical role of a parameter of a module of {@code kind}. */
  static String role(OpKind kind, String attr) {
    if (kind.isNormalization()) {
      return switch (attr) {
        case "weight" -> "scale";
        case "bias" -> "offset";
        case "running_mean" -> "mean";
        case "running_var" -> "variance";
        default -> attr;
      };
    }
    return attr;
  }

  /** How a stored tensor's axes are ordered, judged from its name and rank. */
  static WeightLayout layoutOf(String name, List<Long> shape, OpKind kind) {
    return layoutOf(name, shape, kind, "");
  }

  /**
   * As {@link #layoutOf(String, List, OpKind)}, knowing the module's class: an embedding table
   * ({@code [num_embeddings, dim]}, rows looked up by id) has no in/out axes to transpose.
   */
  static WeightLayout layoutOf(String name, List<Long> shape, OpKind kind, String simpleClass) {
    String attr = simpleName(name);
    if (shape.size() <= 1) {
      return WeightLayout.VECTOR;
    }
    if (simpleClass.equalsIgnoreCase("embedding")) {
      return WeightLayout.OTHER;
    }
    if (attr.equals("weight") && shape.size() == 4 && kind != OpKind.CONV_TRANSPOSE) {
      return WeightLayout.OIHW;
    }
    if (attr.equals("weight") && shape.size() == 2 && kind != OpKind.CONV_TRANSPOSE) {
      return WeightLayout.OI;
    }
    return WeightLayout.OTHER;
  }
}
