package dev.portcheck.importers.pytorch.script;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One class of a TorchScript archive's {@code code/} folder: its declared attributes, parameter and
 * buffer names, and its methods with their signatures and bodies, located by character offsets in
 * the file text so the rewriter can copy them.
 */
public final class PtClassCode {
  private static final Pattern ATTR_DECL =
      Pattern.compile("^  (\\w+) : (.+?)(?: = (.+))?$", Pattern.MULTILINE);
  private static final Pattern ANNOT_DECL =
      Pattern.compile("^  __annotations__\\[\"([^\"]+)\"\\] = (.+)$", Pattern.MULTILINE);
  private static final Pattern LIST_DECL =
      Pattern.compile("^  (__parameters__|__buffers__) = \\[(.*)\\]$", Pattern.MULTILINE);

  /** A method: name, parameter texts (excluding self), return annotation, offsets in the file. */
  public record Method(
      String name,
      String selfParam,
      List<String> params,
      String returnType,
      int start,
      int bodyStart,
      int end) {
    public Method {
      params = List.copyOf(params);
    }

    /** The parameter names (excluding self). */
    public List<String> paramNames() {
      List<String> out = new ArrayList<>();
      for (String p : params) {
        out.add(paramName(p));
      }
      return out;
    }

    /** The annotation of a parameter, or {@code ""}. */
    public static String paramType(String p) {
      int colon = p.indexOf(':');
      if (colon < 0) {
        return "";
      }
      String t = p.substring(colon + 1);
      int eq = topLevelEquals(t);
      return (eq < 0 ? t : t.substring(0, eq)).strip();
    }

    /** Whether a parameter has a default value. */
    public static boolean hasDefault(String p) {
      return topLevelEquals(p) >= 0;
    }

    public static String paramName(String p) {
      int end = 0;
      while (end < p.length()
          && (Character.isLetterOrDigit(p.charAt(end)) || p.charAt(end) == '_')) {
        end++;
      }
      return p.substring(0, end);
    }

    private static int topLevelEquals(String t) {
      int depth = 0;
      for (int i = 0; i < t.length(); i++) {
        char c = t.charAt(i);
        if (c == '[' || c == '(') {
          depth++;
        } else if (c == ']' || c == ')') {
          depth--;
        } else if (c == '=' && depth == 0) {
          return i;
        }
      }
      return -1;
    }
  }

  private final String qualifiedName;
  private final String baseClass;
  private final String fileText;
  private final int start;
  private final int end;
  private final Map<String, String> attributeTypes;
  private final Map<String, String> finals;
  private final List<String> parameterNames;
  private final List<String> bufferNames;
  private final Map<String, Method> methods;

  private PtClassCode(String qualifiedName, String baseClass, String fileText, int start, int end) {
    this.qualifiedName = qualifiedName;
    this.baseClass = baseClass;
    this.fileText = fileText;
    this.start = start;
    this.end = end;
    int firstDef = fileText.indexOf("\n  def ", start);
    String header = fileText.substring(start, firstDef < 0 || firstDef > end ? end : firstDef);
    Map<String, String> types = new LinkedHashMap<>();
    Map<String, String> fin = new LinkedHashMap<>();
    Matcher m = ATTR_DECL.matcher(header);
    while (m.find()) {
      types.put(m.group(1), m.group(2).strip());
      if (m.group(3) != null) {
        fin.put(m.group(1), m.group(3).strip());
      }
    }
    m = ANNOT_DECL.matcher(header);
    while (m.find()) {
      types.put(m.group(1), m.group(2).strip());
    }
    List<String> params = new ArrayList<>();
    List<String> buffers = new ArrayList<>();
    m = LIST_DECL.matcher(header);
    while (m.find()) {
      List<String> target = m.group(1).equals("__parameters__") ? params : buffers;
      for (String s : PtPySource.splitArgs(m.group(2))) {
        Object v = PtPySource.literal(s);
        if (v instanceof String str) {
          target.add(str);
        }
      }
    }
    this.attributeTypes = Collections.unmodifiableMap(types);
    this.finals = Collections.unmodifiableMap(fin);
    this.parameterNames = List.copyOf(params);
    this.bufferNames = List.copyOf(buffers);
    this.methods = Collections.unmodifiableMap(parseMethods(fileText, start, end));
  }

  /**
   * Every class in one code file. {@code modulePrefix} is the dotted module the file defines
   * ({@code __torch__.torch.nn.modules.conv.___torch_mangle_0}).
   */
  public static List<PtClassCode> parseFile(String modulePrefix, String text) {
    List<PtClassCode> out = new ArrayList<>();
    Pattern cls = Pattern.compile("^class (\\w+)\\((\\w*)\\):\\s*$", Pattern.MULTILINE);
    Matcher m = cls.matcher(text);
    List<int[]> starts = new ArrayList<>();
    List<String[]> names = new ArrayList<>();
    while (m.find()) {
      starts.add(new int[] {m.start()});
      names.add(new String[] {m.group(1), m.group(2)});
    }
    for (int i = 0; i < starts.size(); i++) {
      int s = starts.get(i)[0];
      int e = endOfBlock(text, s);
      out.add(new PtClassCode(modulePrefix + "." + names.get(i)[0], names.get(i)[1], text, s, e));
    }
    return out;
  }

  /** End offset of the top-level block starting at {@code s} (next column-0 line, or EOF). */
  private static int endOfBlock(String text, int s) {
    int p = text.indexOf('\n', s);
    while (p >= 0 && p + 1 < text.length()) {
      char c = text.charAt(p + 1);
      if (c != ' ' && c != '\n' && c != '\t') {
        return p + 1;
      }
      p = text.indexOf('\n', p + 1);
    }
    return text.length();
  }

  private static Map<String, Method> parseMethods(String text, int start, int end) {
    Map<String, Method> out = new LinkedHashMap<>();
    Pattern def = Pattern.compile("^  def (\\w+)\\(", Pattern.MULTILINE);
    Matcher m = def.matcher(text);
    m.region(start, end);
    List<Integer> defStarts = new ArrayList<>();
    List<String> defNames = new ArrayList<>();
    while (m.find()) {
      defStarts.add(m.start());
      defNames.add(m.group(1));
    }
    for (int i = 0; i < defStarts.size(); i++) {
      int ds = defStarts.get(i);
      int de = i + 1 < defStarts.size() ? defStarts.get(i + 1) : end;
      int open = text.indexOf('(', ds);
      int close = PtPySource.matching(text, open);
      if (close < 0 || close > de) {
        continue;
      }
      int lineEnd = text.indexOf('\n', close);
      if (lineEnd < 0 || lineEnd > de) {
        lineEnd = de;
      }
      String tail = text.substring(close + 1, lineEnd).strip();
      String ret = "";
      if (tail.startsWith("->") && tail.endsWith(":")) {
        ret = tail.substring(2, tail.length() - 1).strip();
      }
      List<String> params = PtPySource.splitArgs(text.substring(open + 1, close));
      String self = params.isEmpty() ? "self" : params.get(0);
      List<String> rest = params.isEmpty() ? List.of() : params.subList(1, params.size());
      out.put(
          defNames.get(i),
          new Method(defNames.get(i), self, rest, ret, ds, Math.min(lineEnd + 1, de), de));
    }
    return out;
  }

  public String qualifiedName() {
    return qualifiedName;
  }

  /** Whether this is an {@code nn.Module} subclass (serialized as {@code class X(Module):}). */
  public boolean isModule() {
    return baseClass.equals("Module");
  }

  /** Declared attribute name to type text, in declaration order. */
  public Map<String, String> attributeTypes() {
    return attributeTypes;
  }

  /** {@code Final} constants ({@code eps : Final[float] = 1e-05}): name to literal text. */
  public Map<String, String> finals() {
    return finals;
  }

  public List<String> parameterNames() {
    return parameterNames;
  }

  public List<String> bufferNames() {
    return bufferNames;
  }

  public Map<String, Method> methods() {
    return methods;
  }

  /** The file text this class lives in. */
  public String fileText() {
    return fileText;
  }

  /** The class's full source text. */
  public String source() {
    return fileText.substring(start, end);
  }

  /** Start and end offsets of the class in {@link #fileText()}. */
  public int start() {
    return start;
  }

  public int end() {
    return end;
  }

  /** The body text of a method (the lines after its signature). */
  public String body(Method m) {
    return fileText.substring(m.bodyStart(), m.end());
  }
}
