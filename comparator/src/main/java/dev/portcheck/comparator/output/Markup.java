package dev.portcheck.comparator.output;

/** Escaping shared by the HTML and JUnit XML renderers. */
final class Markup {
  private Markup() {}

  /**
   * {@code s} with {@code & < > " '} escaped; null is empty.
   *
   * @param xml also for XML 1.0 attributes: newlines kept as {@code &#10;} (an attribute would fold
   *     them into spaces) and control characters XML forbids dropped
   */
  static String escape(String s, boolean xml) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&':
          b.append("&amp;");
          break;
        case '<':
          b.append("&lt;");
          break;
        case '>':
          b.append("&gt;");
          break;
        case '"':
          b.append("&quot;");
          break;
        case '\'':
          b.append("&#39;");
          break;
        default:
          if (!xml) {
            b.append(c);
          } else if (c == '\n') {
            b.append("&#10;");
          } else if (c >= 0x20 || c == '\t' || c == '\r') {
            b.append(c);
          }
      }
    }
    return b.toString();
  }
}
