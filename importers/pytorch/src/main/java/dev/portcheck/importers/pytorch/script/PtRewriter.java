package dev.portcheck.importers.pytorch.script;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a TorchScript archive's code so one run returns every submodule's output. libtorch
 * exposes neither submodules nor their methods through DJL, and TorchScript has no hooks, so the
 * code itself is extended: each module class gets {@code portcheck_<m>} twins of its methods that
 * thread a recording dict and the module path through every child call, {@code portcheck_forward}
 * records a clone of the first tensor its forward returns (first call only: later calls of the same
 * module are not recorded), and the root gets {@code portcheck_run} returning {@code (output,
 * records)}. The original methods stay untouched, so the plain forward is unchanged.
 */
public final class PtRewriter {
  /** Name of the method added to the root class. */
  public static final String RUN_METHOD = "portcheck_run";

  private static final String REC = "portcheck_rec";
  private static final String PATH = "portcheck_path";
  private static final Pattern CHILD_ASSIGN =
      Pattern.compile(
          "^\\s+(\\w+) = (?:self\\.(\\w+)|getattr\\(self, \"([^\"]+)\"\\))\\s*$",
          Pattern.MULTILINE);
  private static final Pattern CALL = Pattern.compile("\\((self|self\\.\\w+|\\w+)\\)\\.(\\w+)\\(");

  private final PtCodeIndex index;

  public PtRewriter(PtCodeIndex index) {
    this.index = index;
  }

  /** What a class's forward output gives a recorder, or null when it cannot be recorded. */
  public static String recordExpression(String returnType) {
    String t = returnType.replace(" ", "");
    if (t.equals("Tensor")) {
      return "torch.clone(portcheck_out)";
    }
    if (t.startsWith("Tuple[Tensor,") || t.equals("Tuple[Tensor]")) {
      return "torch.clone((portcheck_out)[0])";
    }
    return null;
  }

  /** Whether {@link #rewrite} can give the root the run method. */
  public boolean canRewrite(String rootClass) {
    PtClassCode root = index.get(rootClass);
    return root != null && root.isModule() && root.methods().containsKey("forward");
  }

  /**
   * The rewritten code files (entry name to new text); files without module classes are left out
   * and stay as they are.
   */
  public Map<String, String> rewrite(String rootClass) {
    Map<String, List<PtClassCode>> byFile = new LinkedHashMap<>();
    for (PtClassCode c : index.classes().values()) {
      if (c.isModule()) {
        byFile.computeIfAbsent(index.fileOf(c.qualifiedName()), k -> new ArrayList<>()).add(c);
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<PtClassCode>> e : byFile.entrySet()) {
      StringBuilder text = new StringBuilder(index.files().get(e.getKey()));
      List<PtClassCode> classes = new ArrayList<>(e.getValue());
      // Insert from the end so earlier offsets stay valid.
      classes.sort(Comparator.comparingInt(PtClassCode::end).reversed());
      for (PtClassCode c : classes) {
        String twins = twins(c, c.qualifiedName().equals(rootClass));
        int at = c.end();
        String prefix = at > 0 && text.charAt(at - 1) != '\n' ? "\n" : "";
        text.insert(at, prefix + twins);
      }
      out.put(e.getKey(), text.toString());
    }
    return out;
  }

  private static boolean twinnable(String method) {
    return !method.startsWith("__") && !method.startsWith("portcheck_");
  }

  private String twins(PtClassCode c, boolean isRoot) {
    StringBuilder sb = new StringBuilder();
    for (PtClassCode.Method m : c.methods().values()) {
      if (!twinnable(m.name())) {
        continue;
      }
      String twinName =
          m.name().equals("forward") ? "portcheck_body_forward" : "portcheck_" + m.name();
      sb.append(signature(twinName, m, true)).append(rewriteBody(c, c.body(m)));
      if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != '\n') {
        sb.append('\n');
      }
      if (m.name().equals("forward")) {
        sb.append(signature("portcheck_forward", m, true));
        sb.append("    portcheck_out = (self).portcheck_body_forward(")
            .append(callArgs(REC, PATH, m))
            .append(")\n");
        String rec = recordExpression(m.returnType());
        if (rec != null) {
          sb.append("    if ").append(PATH).append(" not in ").append(REC).append(":\n");
          sb.append("      ").append(REC).append("[").append(PATH).append("] = ").append(rec);
          sb.append("\n");
        }
        sb.append("    return portcheck_out\n");
        if (isRoot) {
          String ret = m.returnType().isEmpty() ? "Tensor" : m.returnType();
          sb.append("  def ").append(RUN_METHOD).append("(").append(m.selfParam());
          for (String p : m.params()) {
            sb.append(",\n    ").append(p);
          }
          sb.append(") -> Tuple[").append(ret).append(", Dict[str, Tensor]]:\n");
          sb.append("    ").append(REC).append(" = annotate(Dict[str, Tensor], {})\n");
          sb.append("    portcheck_out = (self).portcheck_body_forward(")
              .append(callArgs(REC, "\"\"", m))
              .append(")\n");
          sb.append("    return (portcheck_out, ").append(REC).append(")\n");
        }
      }
    }
    return sb.toString();
  }

  private static String callArgs(String rec, String path, PtClassCode.Method m) {
    StringBuilder sb = new StringBuilder(rec).append(", ").append(path).append(", ");
    for (String n : m.paramNames()) {
      sb.append(n).append(", ");
    }
    return sb.toString();
  }

  private static String signature(String name, PtClassCode.Method m, boolean extra) {
    StringBuilder sb = new StringBuilder("  def ").append(name).append("(").append(m.selfParam());
    if (extra) {
      sb.append(",\n    ")
          .append(REC)
          .append(": Dict[str, Tensor],\n    ")
          .append(PATH)
          .append(": str");
    }
    for (String p : m.params()) {
      sb.append(",\n    ").append(p);
    }
    sb.append(")");
    if (!m.returnType().isEmpty()) {
      sb.append(" -> ").append(m.returnType());
    }
    return sb.append(":\n").toString();
  }

  private String rewriteBody(PtClassCode c, String body) {
    Map<String, String> childOfVar = new HashMap<>();
    Matcher a = CHILD_ASSIGN.matcher(body);
    while (a.find()) {
      String attr = a.group(2) != null ? a.group(2) : a.group(3);
      if (childClass(c, attr) != null) {
        childOfVar.put(a.group(1), attr);
      }
    }
    Matcher m = CALL.matcher(body);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String target = m.group(1);
      String method = m.group(2);
      String replacement = null;
      if (target.equals("self")) {
        if (twinnable(method) && c.methods().containsKey(method)) {
          replacement = "(self)." + twinName(method) + "(" + REC + ", " + PATH + ", ";
        }
      } else {
        String attr = target.startsWith("self.") ? target.substring(5) : childOfVar.get(target);
        PtClassCode child = attr == null ? null : childClass(c, attr);
        if (child != null && twinnable(method) && child.methods().containsKey(method)) {
          replacement =
              "("
                  + target
                  + ")."
                  + twinName(method)
                  + "("
                  + REC
                  + ", "
                  + PATH
                  + " + \""
                  + attr
                  + ".\", ";
        }
      }
      m.appendReplacement(
          out, Matcher.quoteReplacement(replacement != null ? replacement : m.group()));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String twinName(String method) {
    return method.equals("forward") ? "portcheck_forward" : "portcheck_" + method;
  }

  private PtClassCode childClass(PtClassCode c, String attr) {
    String type = c.attributeTypes().get(attr);
    if (type == null) {
      return null;
    }
    PtClassCode child = index.get(type);
    return child != null && child.isModule() ? child : null;
  }
}
