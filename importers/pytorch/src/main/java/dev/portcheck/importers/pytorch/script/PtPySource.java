package dev.portcheck.importers.pytorch.script;

import java.util.ArrayList;
import java.util.List;

/**
 * Small lexical helpers for TorchScript's serialized Python: matching brackets and splitting
 * argument lists while skipping string literals. Serialized code is machine-written (one statement
 * per line, calls fully parenthesised), so this is enough to read it, not a Python parser.
 */
final class PtPySource {
  private PtPySource() {}

  /** Index of the bracket closing the one at {@code open}, or -1. */
  static int matching(String s, int open) {
    int depth = 0;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\'') {
        i = skipString(s, i);
        if (i < 0) {
          return -1;
        }
        continue;
      }
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
        if (depth == 0) {
          return i;
        }
      }
    }
    return -1;
  }

  /** Index of the closing quote of the string literal starting at {@code i}, or -1. */
  static int skipString(String s, int i) {
    char q = s.charAt(i);
    for (int j = i + 1; j < s.length(); j++) {
      char c = s.charAt(j);
      if (c == '\\') {
        j++;
      } else if (c == q) {
        return j;
      }
    }
    return -1;
  }

  /** Splits {@code inner} (the text between a call's parentheses) at top-level commas. */
  static List<String> splitArgs(String inner) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < inner.length(); i++) {
      char c = inner.charAt(i);
      if (c == '"' || c == '\'') {
        int e = skipString(inner, i);
        if (e < 0) {
          break;
        }
        i = e;
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(inner.substring(start, i).strip());
        start = i + 1;
      }
    }
    String last = inner.substring(start).strip();
    if (!last.isEmpty()) {
      out.add(last);
    }
    return out;
  }

  /** The arguments of the first call of {@code fn(} in {@code code}, or {@code null}. */
  static List<String> firstCallArgs(String code, String fn) {
    int from = 0;
    while (true) {
      int i = code.indexOf(fn + "(", from);
      if (i < 0) {
        return null;
      }
      // Whole-name match only: "torch.conv2d(" must not match inside "xtorch.conv2d(".
      if (i > 0
          && (Character.isLetterOrDigit(code.charAt(i - 1))
              || code.charAt(i - 1) == '_'
              || code.charAt(i - 1) == '.')) {
        from = i + 1;
        continue;
      }
      int open = i + fn.length();
      int close = matching(code, open);
      if (close < 0) {
        return null;
      }
      return splitArgs(code.substring(open + 1, close));
    }
  }

  /**
   * A literal's value: {@link Double}, {@link Long}, {@link Boolean}, {@link String}, a {@code
   * List<Object>} for list/tuple literals, {@link #NONE} for None, or {@code null} when the text is
   * not a literal (a variable, an expression): such values are never guessed.
   */
  static Object literal(String text) {
    String t = text.strip();
    if (t.isEmpty()) {
      return null;
    }
    if (t.equals("None")) {
      return NONE;
    }
    if (t.equals("True") || t.equals("False")) {
      return t.equals("True");
    }
    char c = t.charAt(0);
    if ((c == '"' || c == '\'') && t.length() >= 2 && t.charAt(t.length() - 1) == c) {
      return t.substring(1, t.length() - 1);
    }
    if (c == '[' || c == '(') {
      int close = matching(t, 0);
      if (close != t.length() - 1) {
        return null;
      }
      List<Object> items = new ArrayList<>();
      for (String a : splitArgs(t.substring(1, close))) {
        Object v = literal(a);
        if (v == null) {
          return null;
        }
        items.add(v);
      }
      return items;
    }
    if (t.matches("-?\\d+")) {
      try {
        return Long.parseLong(t);
      } catch (NumberFormatException e) {
        return null;
      }
    }
    if (t.matches("-?(\\d+\\.\\d*|\\d*\\.\\d+|\\d+)([eE][-+]?\\d+)?")) {
      return Double.parseDouble(t);
    }
    return null;
  }

  /** Marker for a literal {@code None}. */
  static final Object NONE = new Object();
}
