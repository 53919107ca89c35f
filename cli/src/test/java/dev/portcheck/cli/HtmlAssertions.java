package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Structural checks of an HTML report: the plot marks the divergence where it starts. */
final class HtmlAssertions {
  private HtmlAssertions() {}

  /**
   * The page is self-contained, its plot marks {@code planted} as the first divergence with every
   * point before it inside tolerance and some at or after it outside, and it shows feature maps of
   * {@code mapModels} models.
   */
  static void assertShowsDivergence(String html, String planted, int mapModels) {
    assertFalse(
        html.contains("http://")
            && html.replace("http://www.w3.org/2000/svg", "").contains("http://"),
        "no external resource");
    assertFalse(html.contains("<script"), "no script needed");
    assertTrue(html.contains("<svg id=\"error-plot\""), "plot");
    assertTrue(html.contains("id=\"first-divergence-marker\""), "marker");
    assertTrue(html.contains("first divergence: " + planted + "</text>"), "marker label");
    String plot = html.substring(html.indexOf("<svg id=\"error-plot\""), html.indexOf("</svg>"));
    // The label must not run past the plot's right edge: right of the middle it ends at the marker.
    Matcher area =
        Pattern.compile("<rect x=\"([0-9.]+)\" y=\"[0-9.]+\" width=\"([0-9.]+)\"").matcher(plot);
    Matcher x = Pattern.compile("id=\"first-divergence-marker\" x1=\"([0-9.]+)\"").matcher(plot);
    assertTrue(area.find() && x.find(), "plot area and marker position");
    double middle = Double.parseDouble(area.group(1)) + Double.parseDouble(area.group(2)) / 2;
    boolean endAnchored =
        Pattern.compile("id=\"first-divergence-label\"[^>]*text-anchor=\"end\"")
            .matcher(plot)
            .find();
    assertEquals(
        Double.parseDouble(x.group(1)) > middle,
        endAnchored,
        "first-divergence label anchored to stay inside the plot");
    Matcher m =
        Pattern.compile("<circle class=\"point( outside)?\"[^>]*data-layer=\"([^\"]*)\"")
            .matcher(plot);
    boolean reached = false;
    int outside = 0;
    while (m.find()) {
      reached |= m.group(2).equals(planted);
      if (m.group(1) != null) {
        assertTrue(reached, "a point before '" + planted + "' is outside: " + m.group(2));
        outside++;
      }
    }
    assertTrue(reached, "no point for " + planted);
    assertTrue(outside > 0, "no point outside tolerance");
    Matcher idx = Pattern.compile("data-first-divergence-index=\"(\\d+)\"").matcher(plot);
    assertTrue(idx.find());
    int images = html.split("src=\"data:image/png;base64,", -1).length - 1;
    assertTrue(html.contains("id=\"feature-maps\""), "feature maps section");
    assertTrue(images >= mapModels, "images: " + images);
    assertEquals(mapModels, countHeaders(html), "one column per model");
  }

  private static int countHeaders(String html) {
    String maps = html.substring(html.indexOf("<table class=\"maps\">"));
    maps = maps.substring(0, maps.indexOf("</tr>"));
    return maps.split("<small>", -1).length - 1;
  }
}
