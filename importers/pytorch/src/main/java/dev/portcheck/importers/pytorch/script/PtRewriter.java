package dev.portcheck.importers.pytorch.script;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a TorchScript archive's code so one run returns the outputs of the submodules asked for.
 * libtorch exposes neither submodules nor their methods through DJL, and TorchScript has no hooks,
 * so the code itself is extended: each module class gets {@code portcheck_<m>} twins of its methods
 * that thread a recording dict, a dict of destinations and the module path through every child
 * call, and {@code portcheck_forward} records the first tensor its forward returns (first call
 * only: later calls of the same module are not recorded) when its path is among the destinations'
 * keys. A destination of the same shape and type is filled in place ({@code copy_}, into memory the
 * caller owns and reuses run after run); any other is replaced by a clone. The root gets {@code
 * portcheck_run(destinations, ...)} returning {@code (output, records)}. The original methods stay
 * untouched, so the plain forward is unchanged.
 *
 * <p>Copying into the caller's buffers, rather than returning clones, spares libtorch an allocation
 * per recorded module (ResNet-50: 100 MB of fresh pages each run, kept alive until the run returns)
 * and the caller a second copy out of them.
 */
public final class PtRewriter {
  /** Name of the method added to the root class. */
  public static final String RUN_METHOD = "portcheck_run";

  private static final String REC = "portcheck_rec";
  private static final int MAX_VISITS = 100_000;
  private static final String PATH = "portcheck_path";
  private static final String INTO = "portcheck_into";

  /**
   * {@code x = base.attr} or {@code x = getattr(base, "attr")}, where base is {@code self} or a
   * variable already bound to a submodule: traced code reaches a ModuleList child as {@code h =
   * self.h} then {@code _1 = getattr(h, "1")}.
   */
  private static final Pattern CHILD_ASSIGN =
      Pattern.compile(
          "^\\s+(\\w+) = (?:(\\w+)\\.(\\w+)|getattr\\((\\w+), \"([^\"]+)\"\\))\\s*$",
          Pattern.MULTILINE);

  private static final Pattern CALL = Pattern.compile("\\((self|self\\.\\w+|\\w+)\\)\\.(\\w+)\\(");

  private final PtCodeIndex index;

  public PtRewriter(PtCodeIndex index) {
    this.index = index;
  }

  /**
   * The tensor of a class's forward output ({@code portcheck_out}) that a recorder keeps, or null
   * when it cannot be recorded.
   */
  public static String recordExpression(String returnType) {
    String t = returnType.replace(" ", "");
    if (t.equals("Tensor")) {
      return "portcheck_out";
    }
    if (t.startsWith("Tuple[Tensor,") || t.equals("Tuple[Tensor]")) {
      return "(portcheck_out)[0]";
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
          sb.append(record(rec));
        }
        sb.append("    return portcheck_out\n");
        if (isRoot) {
          String ret = m.returnType().isEmpty() ? "Tensor" : m.returnType();
          sb.append("  def ").append(RUN_METHOD).append("(").append(m.selfParam());
          sb.append(",\n    ").append(INTO).append(": Dict[str, Tensor]");
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

  /**
   * The recording step of {@code portcheck_forward}: the first call of a module whose path is asked
   * for fills its destination, or clones {@code source} when the destination does not fit.
   */
  private static String record(String source) {
    return ("    if PATH in INTO:\n"
            + "      if PATH not in REC:\n"
            + "        portcheck_src = SRC\n"
            + "        portcheck_dst = INTO[PATH]\n"
            + "        if portcheck_dst.size() == portcheck_src.size()"
            + " and portcheck_dst.dtype == portcheck_src.dtype:\n"
            + "          portcheck_dst.copy_(portcheck_src)\n"
            + "          REC[PATH] = portcheck_dst\n"
            + "        else:\n"
            + "          REC[PATH] = torch.clone(portcheck_src)\n")
        .replace("PATH", PATH)
        .replace("INTO", INTO)
        .replace("REC", REC)
        .replace("SRC", source);
  }

  private static String callArgs(String rec, String path, PtClassCode.Method m) {
    StringBuilder sb =
        new StringBuilder(rec).append(", ").append(INTO).append(", ").append(path).append(", ");
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
          .append(INTO)
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

  /** A submodule a method body reaches: its path below the class, dotted, and its code. */
  private record Child(String path, PtClassCode code) {}

  /** A call in a method body that the rewrite threads the recorder through. */
  private record Call(int start, int end, String target, String method, Child child) {}

  /** The variables of a method body bound to submodules, at any depth below {@code c}. */
  private Map<String, Child> childVariables(PtClassCode c, String body) {
    Map<String, Child> vars = new HashMap<>();
    Matcher a = CHILD_ASSIGN.matcher(body);
    while (a.find()) {
      boolean dotted = a.group(2) != null;
      String base = dotted ? a.group(2) : a.group(4);
      String attr = dotted ? a.group(3) : a.group(5);
      Child owner = base.equals("self") ? new Child("", c) : vars.get(base);
      PtClassCode child = owner == null ? null : childClass(owner.code(), attr);
      if (child == null) {
        vars.remove(a.group(1)); // rebound to something that is not a module
      } else {
        String path = owner.path().isEmpty() ? attr : owner.path() + "." + attr;
        vars.put(a.group(1), new Child(path, child));
      }
    }
    return vars;
  }

  /** The calls of {@code body} that get a recording twin, in text order. */
  private List<Call> calls(PtClassCode c, String body) {
    Map<String, Child> vars = childVariables(c, body);
    List<Call> out = new ArrayList<>();
    Matcher m = CALL.matcher(body);
    while (m.find()) {
      String target = m.group(1);
      String method = m.group(2);
      if (!twinnable(method)) {
        continue;
      }
      if (target.equals("self")) {
        if (c.methods().containsKey(method)) {
          out.add(new Call(m.start(), m.end(), target, method, null));
        }
        continue;
      }
      Child child = null;
      if (target.startsWith("self.")) {
        PtClassCode code = childClass(c, target.substring(5));
        child = code == null ? null : new Child(target.substring(5), code);
      } else {
        child = vars.get(target);
      }
      if (child != null && child.code().methods().containsKey(method)) {
        out.add(new Call(m.start(), m.end(), target, method, child));
      }
    }
    return out;
  }

  private String rewriteBody(PtClassCode c, String body) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    for (Call call : calls(c, body)) {
      out.append(body, at, call.start());
      out.append('(').append(call.target()).append(").").append(twinName(call.method()));
      out.append('(').append(REC).append(", ").append(INTO).append(", ").append(PATH);
      if (call.child() != null) {
        out.append(" + \"").append(call.child().path()).append(".\"");
      }
      out.append(", ");
      at = call.end();
    }
    return out.append(body, at, body.length()).toString();
  }

  /**
   * The module paths whose {@code forward} the rewritten root records, found by following the
   * rewritten calls from the root's forward as a run would (static: a call inside an untaken branch
   * is listed, and then simply records nothing on that probe). A module missing here is never
   * called through a path the rewrite threads the recorder along: called through a module passed in
   * as an argument, from a loop over a container, or not at all.
   */
  public Set<String> recordedPaths(String rootClass) {
    Set<String> out = new LinkedHashSet<>();
    PtClassCode root = index.get(rootClass);
    if (root == null || !root.methods().containsKey("forward")) {
      return out;
    }
    record Visit(String path, PtClassCode code, String method) {}
    Set<String> visited = new HashSet<>();
    Deque<Visit> todo = new ArrayDeque<>();
    todo.add(new Visit("", root, "forward"));
    while (!todo.isEmpty() && visited.size() < MAX_VISITS) {
      Visit v = todo.pop();
      String path = v.path();
      PtClassCode c = v.code();
      if (!visited.add(path + "#" + c.qualifiedName() + "#" + v.method())) {
        continue;
      }
      PtClassCode.Method m = c.methods().get(v.method());
      if (m == null) {
        continue;
      }
      for (Call call : calls(c, c.body(m))) {
        if (call.child() == null) {
          todo.add(new Visit(path, c, call.method()));
          continue;
        }
        String childPath = path.isEmpty() ? call.child().path() : path + "." + call.child().path();
        if (call.method().equals("forward")
            && recordExpression(call.child().code().methods().get("forward").returnType())
                != null) {
          out.add(childPath);
        }
        todo.add(new Visit(childPath, call.child().code(), call.method()));
      }
    }
    return out;
  }

  /** Ops that pass their first argument's values through (still token ids after them). */
  private static final Pattern ALIAS =
      Pattern.compile(
          "^\\s+(\\w+) = torch\\.(?:view|reshape|slice|unsqueeze|squeeze|contiguous|flatten|"
              + "select|expand|to)\\((\\w+)[,)]",
          Pattern.MULTILINE);

  private static final int MAX_DEPTH = 64;

  /**
   * The root forward's parameters whose values index an embedding table (reach an {@code Embedding}
   * module's forward or {@code torch.embedding}, through calls of child modules and reshapes):
   * token ids, integers. TorchScript declares every input as {@code Tensor}; this is how an
   * importer can still tell token ids from floats.
   */
  public Set<String> embeddingIndexParameters(String rootClass) {
    Set<String> out = new LinkedHashSet<>();
    PtClassCode root = index.get(rootClass);
    PtClassCode.Method fwd = root == null ? null : root.methods().get("forward");
    if (fwd == null) {
      return out;
    }
    List<String> names = fwd.paramNames();
    for (int i = 0; i < names.size(); i++) {
      if (indexesEmbedding(root, fwd, i, new HashSet<>(), 0)) {
        out.add(names.get(i));
      }
    }
    return out;
  }

  private boolean indexesEmbedding(
      PtClassCode c, PtClassCode.Method m, int param, Set<String> visited, int depth) {
    if (depth > MAX_DEPTH
        || param >= m.paramNames().size()
        || !visited.add(c.qualifiedName() + "#" + m.name() + "#" + param)) {
      return false;
    }
    String q = c.qualifiedName();
    if (q.substring(q.lastIndexOf('.') + 1).equals("Embedding")) {
      return param == 0;
    }
    String body = c.body(m);
    Set<String> ids = new HashSet<>(List.of(m.paramNames().get(param)));
    Matcher a = ALIAS.matcher(body);
    while (a.find()) {
      if (ids.contains(a.group(2))) {
        ids.add(a.group(1));
      }
    }
    List<String> emb = PtPySource.firstCallArgs(body, "torch.embedding");
    if (emb != null && emb.size() > 1 && ids.contains(emb.get(1).strip())) {
      return true;
    }
    for (Call call : calls(c, body)) {
      int open = body.indexOf('(', call.end() - 1);
      int close = open < 0 ? -1 : PtPySource.matching(body, open);
      if (close < 0) {
        continue;
      }
      List<String> args = PtPySource.splitArgs(body.substring(open + 1, close));
      PtClassCode target = call.child() == null ? c : call.child().code();
      PtClassCode.Method callee = target.methods().get(call.method());
      for (int k = 0; callee != null && k < args.size(); k++) {
        if (ids.contains(args.get(k).strip())
            && indexesEmbedding(target, callee, k, visited, depth + 1)) {
          return true;
        }
      }
    }
    return false;
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
