package dev.portcheck.importers.pytorch.script;

import dev.portcheck.importers.api.AttributeValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a module's attributes from the archive, never from defaults: first the literal arguments of
 * the aten call in its code (traced code bakes {@code eps} into {@code torch.batch_norm(...)}),
 * then {@code Final} constants in the class header (scripted modules), then its pickled state. A
 * value that is a variable rather than a literal is left out.
 */
public final class PtAttributes {
  private PtAttributes() {}

  /** Attributes under canonical names, in a stable order. */
  public static Map<String, AttributeValue> read(PtModuleTree.Node node) {
    Map<String, AttributeValue> out = new LinkedHashMap<>();
    PtClassCode code = node.code();
    String text = code == null ? "" : code.source();
    List<String> a;
    if ((a = args(text, "torch.batch_norm")) != null
        || (a = args(text, "torch.instance_norm")) != null) {
      putFloat(out, "epsilon", a, 7);
      putFloat(out, "momentum", a, 6);
    }
    // The serializer drops trailing arguments equal to the aten schema default, so a missing eps
    // is the schema's 1e-05 that actually runs (layer_norm/group_norm declare float eps=1e-05).
    if ((a = args(text, "torch.layer_norm")) != null) {
      putFloat(out, "epsilon", withDefault(a, 4, "1e-05"), 4);
    }
    if ((a = args(text, "torch.group_norm")) != null) {
      putFloat(out, "epsilon", withDefault(a, 4, "1e-05"), 4);
      putInt(out, "num_groups", a, 1);
    }
    if ((a = args(text, "torch._convolution")) != null) {
      putInts(out, "strides", a, 3);
      putPads(out, a, 4);
      putInts(out, "dilations", a, 5);
      putInt(out, "group", a, 8);
    } else {
      for (String fn : List.of("torch.conv1d", "torch.conv2d", "torch.conv3d")) {
        if ((a = args(text, fn)) != null) {
          putInts(out, "strides", a, 3);
          putPads(out, a, 4);
          putInts(out, "dilations", a, 5);
          putInt(out, "group", a, 6);
          break;
        }
      }
    }
    for (String fn : List.of("torch.max_pool1d", "torch.max_pool2d", "torch.max_pool3d")) {
      if ((a = args(text, fn)) != null) {
        putInts(out, "kernel_shape", a, 1);
        putInts(out, "strides", a, 2);
        putPads(out, a, 3);
        putInts(out, "dilations", a, 4);
        putFlag(out, "ceil_mode", a, 5, false);
      }
    }
    for (String fn : List.of("torch.avg_pool1d", "torch.avg_pool2d", "torch.avg_pool3d")) {
      if ((a = args(text, fn)) != null) {
        putInts(out, "kernel_shape", a, 1);
        putInts(out, "strides", a, 2);
        putPads(out, a, 3);
        putFlag(out, "ceil_mode", a, 4, false);
        putFlag(out, "count_include_pad", a, 5, true);
      }
    }
    resize(out, text);
    if ((a = args(text, "torch.hardtanh")) != null || (a = args(text, "torch.hardtanh_")) != null) {
      putFloat(out, "min", a, 1);
      putFloat(out, "max", a, 2);
    }
    if ((a = args(text, "torch.leaky_relu")) != null
        || (a = args(text, "torch.leaky_relu_")) != null) {
      putFloat(out, "alpha", a, 1);
    }
    if ((a = args(text, "torch.softmax")) != null) {
      putInt(out, "axis", a, 1);
    }
    if ((a = args(text, "torch.gelu")) != null) {
      // The serializer drops approximate="none", the schema default.
      String v = a.size() > 1 ? a.get(1).replace("approximate=", "") : "\"none\"";
      if (PtPySource.literal(v) instanceof String s) {
        out.put("approximate", AttributeValue.of(s));
      }
    } else if (code != null
        && code.qualifiedName().toLowerCase(java.util.Locale.ROOT).contains("gelu")
        && text.contains("torch.tanh(")
        && text.contains("torch.pow(")) {
      // Hugging Face's NewGELUActivation (gelu_new) writes the tanh approximation out.
      out.put("approximate", AttributeValue.of("tanh"));
    }
    if (code != null) {
      fromConstants(out, code.finals());
    }
    Map<String, String> state = new LinkedHashMap<>();
    node.state().forEach((k, v) -> state.put(String.valueOf(k), literalText(v)));
    fromConstants(out, state);
    return out;
  }

  /**
   * {@code nn.Upsample}/{@code F.interpolate}: the aten call says the interpolation and, for the
   * (bi/tri)linear and bicubic modes, {@code align_corners} (its third argument); written as ONNX's
   * Resize spells it. PyTorch's {@code align_corners=False} is half-pixel centres (ONNX {@code
   * half_pixel}; torch.onnx writes {@code pytorch_half_pixel}, the same mapping except for an
   * output of size 1); nearest maps with {@code floor(x · in / out)}, ONNX's {@code asymmetric}.
   */
  private static void resize(Map<String, AttributeValue> out, String text) {
    List<String> a;
    for (String[] fn :
        List.of(
            new String[] {"torch.upsample_bilinear2d", "linear"},
            new String[] {"torch.upsample_linear1d", "linear"},
            new String[] {"torch.upsample_trilinear3d", "linear"},
            new String[] {"torch.upsample_bicubic2d", "cubic"})) {
      if ((a = args(text, fn[0])) != null && a.size() > 2) {
        if (PtPySource.literal(a.get(2)) instanceof Boolean align) {
          out.put("mode", AttributeValue.of(fn[1]));
          out.put(
              "coordinate_transformation_mode",
              AttributeValue.of(align ? "align_corners" : "half_pixel"));
        }
        return;
      }
    }
    for (String fn :
        List.of(
            "torch.upsample_nearest1d", "torch.upsample_nearest2d", "torch.upsample_nearest3d")) {
      if (args(text, fn) != null) {
        out.put("mode", AttributeValue.of("nearest"));
        out.put("coordinate_transformation_mode", AttributeValue.of("asymmetric"));
        return;
      }
    }
  }

  private static String literalText(Object v) {
    if (v instanceof Double || v instanceof Long) {
      return v.toString();
    }
    if (v instanceof dev.portcheck.importers.pytorch.pickle.PtPickled.Tuple t) {
      StringBuilder sb = new StringBuilder("(");
      for (Object o : t.items()) {
        if (!(o instanceof Long)) {
          return null;
        }
        sb.append(o).append(", ");
      }
      return sb.append(")").toString();
    }
    return null;
  }

  /** Scripted modules' constants and state: {@code eps}, {@code momentum}, conv geometry. */
  private static void fromConstants(Map<String, AttributeValue> out, Map<String, String> c) {
    putIfAbsentFloat(out, "epsilon", c.get("eps"));
    putIfAbsentFloat(out, "momentum", c.get("momentum"));
    if (!out.containsKey("strides") && c.get("stride") != null) {
      putIfAbsentInts(out, "strides", c.get("stride"));
    }
    if (!out.containsKey("dilations") && c.get("dilation") != null) {
      putIfAbsentInts(out, "dilations", c.get("dilation"));
    }
    if (!out.containsKey("group")
        && c.get("groups") != null
        && PtPySource.literal(c.get("groups")) instanceof Long g) {
      out.put("group", AttributeValue.of(g));
    }
    if (!out.containsKey("pads") && c.get("padding") != null) {
      Object p = PtPySource.literal(c.get("padding"));
      if (p instanceof List<?> l) {
        List<Long> v = ints(l);
        if (v != null) {
          out.put("pads", AttributeValue.ints(pads(v)));
        }
      }
    }
  }

  private static List<String> withDefault(List<String> a, int index, String value) {
    if (a.size() != index) {
      return a;
    }
    List<String> b = new ArrayList<>(a);
    b.add(value);
    return b;
  }

  private static List<String> args(String text, String fn) {
    return PtPySource.firstCallArgs(text, fn);
  }

  private static void putFloat(Map<String, AttributeValue> out, String key, List<String> a, int i) {
    if (i < a.size() && !out.containsKey(key)) {
      Object v = PtPySource.literal(a.get(i));
      if (v instanceof Double d) {
        out.put(key, AttributeValue.of(d));
      } else if (v instanceof Long l) {
        out.put(key, AttributeValue.of((double) l));
      }
    }
  }

  private static void putIfAbsentFloat(Map<String, AttributeValue> out, String key, String text) {
    if (text != null && !out.containsKey(key)) {
      putFloat(out, key, List.of(text), 0);
    }
  }

  /**
   * A boolean argument as ONNX writes it (1/0). The serializer drops trailing arguments equal to
   * the schema's default, so a missing one is {@code dflt} — what actually runs.
   */
  private static void putFlag(
      Map<String, AttributeValue> out, String key, List<String> a, int i, boolean dflt) {
    if (out.containsKey(key)) {
      return;
    }
    Object v = i < a.size() ? PtPySource.literal(a.get(i)) : dflt;
    if (v instanceof Boolean b) {
      out.put(key, AttributeValue.of(b ? 1L : 0L));
    }
  }

  private static void putInt(Map<String, AttributeValue> out, String key, List<String> a, int i) {
    if (i < a.size() && !out.containsKey(key) && PtPySource.literal(a.get(i)) instanceof Long l) {
      out.put(key, AttributeValue.of(l));
    }
  }

  private static void putInts(Map<String, AttributeValue> out, String key, List<String> a, int i) {
    if (i < a.size()) {
      putIfAbsentInts(out, key, a.get(i));
    }
  }

  private static void putIfAbsentInts(Map<String, AttributeValue> out, String key, String text) {
    if (out.containsKey(key)) {
      return;
    }
    Object v = PtPySource.literal(text);
    if (v instanceof List<?> l && ints(l) != null) {
      out.put(key, AttributeValue.ints(ints(l)));
    } else if (v instanceof Long n) {
      out.put(key, AttributeValue.ints(List.of(n)));
    }
  }

  /** torch pads each spatial axis symmetrically; ONNX lists all begins then all ends. */
  private static void putPads(Map<String, AttributeValue> out, List<String> a, int i) {
    if (i >= a.size() || out.containsKey("pads")) {
      return;
    }
    Object v = PtPySource.literal(a.get(i));
    if (v instanceof List<?> l && ints(l) != null) {
      out.put("pads", AttributeValue.ints(pads(ints(l))));
    } else if (v instanceof String s) {
      out.put("padding", AttributeValue.of(s.toUpperCase(java.util.Locale.ROOT)));
    }
  }

  private static List<Long> pads(List<Long> perAxis) {
    List<Long> p = new ArrayList<>(perAxis);
    p.addAll(perAxis);
    return p;
  }

  private static List<Long> ints(List<?> l) {
    List<Long> out = new ArrayList<>();
    for (Object o : l) {
      if (!(o instanceof Long v)) {
        return null;
      }
      out.add(v);
    }
    return out;
  }
}
