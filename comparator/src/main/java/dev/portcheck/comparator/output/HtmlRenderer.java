package dev.portcheck.comparator.output;

import dev.portcheck.comparator.maps.FeatureMaps;
import dev.portcheck.comparator.report.AttributeMismatch;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.comparator.report.Divergence;
import dev.portcheck.comparator.report.LayerComparison;
import dev.portcheck.comparator.report.LayerStatus;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.comparator.report.ModelStats;
import dev.portcheck.comparator.report.Numbers;
import dev.portcheck.comparator.report.OutputComparison;
import dev.portcheck.comparator.report.PairMetrics;
import dev.portcheck.comparator.report.ProbeReport;
import dev.portcheck.comparator.report.WeightMismatch;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;

/**
 * A self-contained HTML page (inline CSS, an inline SVG plot, images as data URIs; no script and
 * nothing fetched): the verdict and first divergence, a plot of each model's largest difference per
 * aligned layer along the depth of the network with the tolerance and the first divergence marked,
 * the first diverging layer's feature maps of each model side by side on one colour scale (and
 * their difference), and the aligned-layer table.
 */
public final class HtmlRenderer {
  private static final String[] SERIES_COLOURS = {"#1f77b4", "#ff7f0e", "#2ca02c"};

  /** The report without feature maps. */
  public String render(ComparisonReport r) {
    return render(r, List.of());
  }

  /**
   * The report as a page.
   *
   * @param maps the first diverging layer's maps, one per model that could be run (may be empty)
   */
  public String render(ComparisonReport r, List<FeatureMaps> maps) {
    StringBuilder b = new StringBuilder(64 * 1024);
    String verdict = r.verdict().name();
    b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>portcheck: ")
        .append(verdict)
        .append("</title>\n<style>\n")
        .append(CSS)
        .append("</style>\n</head>\n<body>\n");
    b.append("<h1>portcheck <span id=\"verdict\" class=\"verdict ")
        .append(verdict)
        .append("\">")
        .append(verdict)
        .append("</span></h1>\n");
    b.append("<ul class=\"models\">\n");
    for (ModelRef m : r.models()) {
      b.append("<li><b>")
          .append(esc(m.id()))
          .append("</b> ")
          .append(esc(m.framework().id()))
          .append(" <code>")
          .append(esc(m.path()))
          .append("</code></li>\n");
    }
    b.append("</ul>\n");
    if (!r.probes().isEmpty()) {
      b.append("<p class=\"probes\">probes: ")
          .append(
              esc(r.probes().stream().map(ProbeReport::label).collect(Collectors.joining(", "))))
          .append("</p>\n");
    }
    Divergence d = r.firstDivergence();
    if (d != null) {
      b.append("<section id=\"first-divergence\" class=\"finding\">\n<h2>First divergence (")
          .append(d.cause())
          .append(")</h2>\n<p>")
          .append(esc(new FindingText(r.models()).sentence(d.finding())))
          .append("</p>\n<pre>")
          .append(esc(new FindingText(r.models()).failureText(d.finding())))
          .append("</pre>\n</section>\n");
    } else {
      b.append("<section id=\"first-divergence\" class=\"finding ok\"><p>No layer outside")
          .append(" tolerance.</p></section>\n");
    }
    plot(b, r);
    maps(b, d, maps);
    table(b, r);
    findings(b, r);
    b.append("</body>\n</html>\n");
    return b.toString();
  }

  private void plot(StringBuilder b, ComparisonReport r) {
    List<LayerComparison> rows = new ArrayList<>();
    for (LayerComparison l : r.layers()) {
      if (l.metrics() != null && !l.metrics().vsReference().isEmpty()) {
        rows.add(l);
      }
    }
    b.append("<section id=\"plot\">\n<h2>Largest difference per layer, along the depth</h2>\n");
    if (rows.isEmpty()) {
      b.append("<p>No layer activations were compared.</p>\n</section>\n");
      return;
    }
    List<String> others =
        r.models().stream().map(ModelRef::id).filter(id -> !id.equals("m0")).toList();
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    double atol = rows.get(0).metrics().tolerance().atol();
    for (LayerComparison l : rows) {
      for (PairMetrics p : l.metrics().vsReference().values()) {
        double v = p.maxAbsDiff();
        if (Double.isFinite(v) && v > 0) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    if (atol > 0) {
      lo = Math.min(lo, atol);
      hi = Math.max(hi, atol);
    }
    if (!Double.isFinite(lo)) {
      lo = 1e-9;
      hi = 1;
    }
    double yMin = Math.floor(Math.log10(lo)) - 0.5;
    double yMax = Math.ceil(Math.log10(hi)) + 0.5;
    if (yMax - yMin < 2) {
      yMax = yMin + 2;
    }
    int w = 900;
    int h = 320;
    int left = 70;
    int right = 20;
    int top = 20;
    int bottom = 60;
    double pw = w - left - right;
    double ph = h - top - bottom;
    int n = rows.size();
    int firstIdx = -1;
    for (int i = 0; i < n; i++) {
      if (rows.get(i).status() == LayerStatus.DIVERGED && firstIdx < 0) {
        firstIdx = i;
      }
    }
    b.append("<svg id=\"error-plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(w)
        .append("\" height=\"")
        .append(h)
        .append("\" viewBox=\"0 0 ")
        .append(w)
        .append(' ')
        .append(h)
        .append("\" role=\"img\" data-layers=\"")
        .append(n)
        .append("\" data-first-divergence-index=\"")
        .append(firstIdx)
        .append("\">\n<title>max abs diff per aligned layer (log scale)</title>\n");
    b.append("<rect x=\"")
        .append(left)
        .append("\" y=\"")
        .append(top)
        .append("\" width=\"")
        .append(fmt(pw))
        .append("\" height=\"")
        .append(fmt(ph))
        .append("\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n");
    for (int e = (int) Math.ceil(yMin); e <= (int) Math.floor(yMax); e++) {
      double y = top + ph * (yMax - e) / (yMax - yMin);
      b.append("<line x1=\"")
          .append(left)
          .append("\" x2=\"")
          .append(fmt(left + pw))
          .append("\" y1=\"")
          .append(fmt(y))
          .append("\" y2=\"")
          .append(fmt(y))
          .append("\" stroke=\"#e5e5e5\"/><text x=\"")
          .append(left - 6)
          .append("\" y=\"")
          .append(fmt(y + 4))
          .append("\" text-anchor=\"end\" font-size=\"11\">1e")
          .append(e)
          .append("</text>\n");
    }
    if (atol > 0) {
      double y = top + ph * (yMax - Math.log10(atol)) / (yMax - yMin);
      b.append("<line id=\"tolerance-line\" x1=\"")
          .append(left)
          .append("\" x2=\"")
          .append(fmt(left + pw))
          .append("\" y1=\"")
          .append(fmt(y))
          .append("\" y2=\"")
          .append(fmt(y))
          .append("\" stroke=\"#888\" stroke-dasharray=\"6 4\"/><text x=\"")
          .append(fmt(left + pw - 4))
          .append("\" y=\"")
          .append(fmt(y - 4))
          .append("\" text-anchor=\"end\" font-size=\"11\" fill=\"#555\">atol ")
          .append(esc(Numbers.format(atol)))
          .append("</text>\n");
    }
    if (firstIdx >= 0) {
      double x = left + xPos(firstIdx, n, pw);
      boolean rightHalf = x > left + pw / 2;
      b.append("<line id=\"first-divergence-marker\" x1=\"")
          .append(fmt(x))
          .append("\" x2=\"")
          .append(fmt(x))
          .append("\" y1=\"")
          .append(top)
          .append("\" y2=\"")
          .append(fmt(top + ph))
          .append(
              "\" stroke=\"#d62728\" stroke-width=\"2\"/><text id=\"first-divergence-label\" x=\"")
          // Right of the marker it would run past the plot's right edge: there it ends at the
          // marker.
          .append(fmt(rightHalf ? x - 4 : x + 4))
          .append("\" y=\"")
          .append(top + 14)
          .append(rightHalf ? "\" text-anchor=\"end" : "")
          .append("\" font-size=\"12\" fill=\"#d62728\">first divergence: ")
          .append(esc(rows.get(firstIdx).names().values().iterator().next()))
          .append("</text>\n");
    }
    for (int k = 0; k < others.size(); k++) {
      String id = others.get(k);
      String colour = SERIES_COLOURS[k % SERIES_COLOURS.length];
      StringBuilder path = new StringBuilder();
      StringBuilder dots = new StringBuilder();
      for (int i = 0; i < n; i++) {
        PairMetrics p = rows.get(i).metrics().vsReference().get(id);
        if (p == null) {
          continue;
        }
        double v = p.maxAbsDiff();
        double lv = Double.isNaN(v) ? yMax : v <= 0 ? yMin : Math.log10(v);
        lv = Math.max(yMin, Math.min(yMax, lv));
        double x = left + xPos(i, n, pw);
        double y = top + ph * (yMax - lv) / (yMax - yMin);
        path.append(path.length() == 0 ? "M" : " L").append(fmt(x)).append(' ').append(fmt(y));
        boolean outside = !p.withinTolerance();
        dots.append("<circle class=\"point")
            .append(outside ? " outside" : "")
            .append("\" cx=\"")
            .append(fmt(x))
            .append("\" cy=\"")
            .append(fmt(y))
            .append("\" r=\"")
            .append(outside ? 4 : 3)
            .append("\" fill=\"")
            .append(outside ? "#d62728" : colour)
            .append("\" data-layer=\"")
            .append(esc(rows.get(i).names().values().iterator().next()))
            .append("\"><title>")
            .append(esc(rows.get(i).names().values().iterator().next()))
            .append(" (")
            .append(esc(id))
            .append("): ")
            .append(esc(Numbers.format(v)))
            .append("</title></circle>\n");
      }
      b.append("<path class=\"series\" data-model=\"")
          .append(esc(id))
          .append("\" d=\"")
          .append(path)
          .append("\" fill=\"none\" stroke=\"")
          .append(colour)
          .append("\" stroke-width=\"1.5\"/>\n")
          .append(dots);
    }
    b.append("<text x=\"")
        .append(fmt(left + pw / 2))
        .append("\" y=\"")
        .append(h - 30)
        .append("\" text-anchor=\"middle\" font-size=\"12\">aligned layers in graph order (")
        .append(n)
        .append(")</text>\n");
    b.append("<text x=\"14\" y=\"")
        .append(fmt(top + ph / 2))
        .append("\" font-size=\"12\" transform=\"rotate(-90 14 ")
        .append(fmt(top + ph / 2))
        .append(")\" text-anchor=\"middle\">max abs diff vs m0</text>\n");
    int lx = left;
    for (int k = 0; k < others.size(); k++) {
      b.append("<rect x=\"")
          .append(lx)
          .append("\" y=\"")
          .append(h - 16)
          .append("\" width=\"12\" height=\"4\" fill=\"")
          .append(SERIES_COLOURS[k % SERIES_COLOURS.length])
          .append("\"/><text x=\"")
          .append(lx + 16)
          .append("\" y=\"")
          .append(h - 11)
          .append("\" font-size=\"11\">")
          .append(esc(others.get(k)))
          .append(" vs m0</text>\n");
      lx += 90;
    }
    b.append("</svg>\n</section>\n");
  }

  private static double xPos(int i, int n, double pw) {
    return n == 1 ? pw / 2 : 8 + (pw - 16) * i / (n - 1);
  }

  private void maps(StringBuilder b, Divergence d, List<FeatureMaps> maps) {
    if (maps.isEmpty()) {
      return;
    }
    b.append("<section id=\"feature-maps\">\n<h2>Feature maps at the first divergence");
    if (d != null) {
      b.append(": <code>").append(esc(d.names().values().iterator().next())).append("</code>");
    }
    b.append("</h2>\n<p>Probe <code>")
        .append(esc(maps.get(0).probe()))
        .append("</code>; the first ")
        .append(FeatureMapsLimits.describe(maps.get(0)))
        .append(". Each column shares one colour scale (blue negative, red positive).</p>\n");
    for (String id : d == null ? List.<String>of() : List.copyOf(d.names().keySet())) {
      if (maps.stream().noneMatch(m -> m.modelId().equals(id))) {
        b.append("<p class=\"no-maps\">")
            .append(esc(id))
            .append(": no feature maps (a baseline keeps summaries, not activations).</p>\n");
      }
    }
    int channels = maps.stream().mapToInt(m -> m.maps().size()).max().orElse(0);
    b.append("<table class=\"maps\">\n<tr><th>channel</th>");
    for (FeatureMaps m : maps) {
      b.append("<th>")
          .append(esc(m.modelId()))
          .append(" <code>")
          .append(esc(m.layer()))
          .append("</code><br><small>")
          .append(esc(m.shape().toString()))
          .append(' ')
          .append(esc(m.layout()))
          .append("</small></th>");
    }
    boolean diff =
        maps.size() >= 2
            && maps.get(1).height() == maps.get(0).height()
            && maps.get(1).width() == maps.get(0).width();
    if (diff) {
      b.append("<th>|")
          .append(esc(maps.get(1).modelId()))
          .append(" − ")
          .append(esc(maps.get(0).modelId()))
          .append("|</th>");
    }
    b.append("</tr>\n");
    for (int c = 0; c < channels; c++) {
      double scale = 0;
      for (FeatureMaps m : maps) {
        if (c < m.maps().size()) {
          for (float v : m.maps().get(c)) {
            if (Float.isFinite(v)) {
              scale = Math.max(scale, Math.abs(v));
            }
          }
        }
      }
      b.append("<tr><td>").append(c).append("</td>");
      for (FeatureMaps m : maps) {
        b.append("<td>");
        if (c < m.maps().size()) {
          img(
              b,
              m.maps().get(c),
              m.width(),
              m.height(),
              scale,
              false,
              m.modelId() + " channel " + c);
        }
        b.append("</td>");
      }
      if (diff && c < maps.get(0).maps().size() && c < maps.get(1).maps().size()) {
        float[] a = maps.get(0).maps().get(c);
        float[] o = maps.get(1).maps().get(c);
        float[] dv = new float[a.length];
        double dmax = 0;
        for (int i = 0; i < a.length; i++) {
          dv[i] = Math.abs(o[i] - a[i]);
          if (Float.isFinite(dv[i])) {
            dmax = Math.max(dmax, dv[i]);
          }
        }
        b.append("<td>");
        img(
            b,
            dv,
            maps.get(0).width(),
            maps.get(0).height(),
            dmax,
            true,
            "difference channel " + c);
        b.append("<br><small>max ").append(esc(Numbers.format(dmax))).append("</small></td>");
      }
      b.append("</tr>\n");
    }
    b.append("</table>\n</section>\n");
  }

  /** Holds the wording of what a map shows. */
  private static final class FeatureMapsLimits {
    static String describe(FeatureMaps m) {
      return m.maps().size()
          + " of "
          + m.channels()
          + " channel(s), "
          + m.height()
          + "×"
          + m.width()
          + " after pooling";
    }
  }

  private static void img(
      StringBuilder b, float[] v, int w, int h, double scale, boolean magnitude, String alt) {
    BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        float val = v[y * w + x];
        im.setRGB(x, y, colour(val, scale, magnitude));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(im, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int px = Math.max(64, Math.min(192, Math.max(w, h) * 4));
    double aspect = (double) h / w;
    int dispW = aspect > 1 ? (int) Math.max(8, px / aspect) : px;
    int dispH = aspect > 1 ? px : (int) Math.max(8, px * aspect);
    b.append("<img class=\"map\" width=\"")
        .append(dispW)
        .append("\" height=\"")
        .append(dispH)
        .append("\" alt=\"")
        .append(esc(alt))
        .append("\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(out.toByteArray()))
        .append("\">");
  }

  /** Blue-white-red for signed values, white-red for magnitudes, grey for non-finite. */
  private static int colour(float v, double scale, boolean magnitude) {
    if (!Float.isFinite(v)) {
      return 0x808080;
    }
    double t = scale > 0 ? Math.max(-1, Math.min(1, v / scale)) : 0;
    int r;
    int g;
    int bl;
    if (magnitude || t >= 0) {
      double a = Math.abs(t);
      r = 255;
      g = (int) Math.round(255 * (1 - a));
      bl = (int) Math.round(255 * (1 - a));
      if (!magnitude) {
        r = (int) Math.round(255 - 75 * a);
      }
    } else {
      double a = -t;
      r = (int) Math.round(255 * (1 - a));
      g = (int) Math.round(255 * (1 - 0.6 * a));
      bl = 255;
    }
    return (r << 16) | (g << 8) | bl;
  }

  private void table(StringBuilder b, ComparisonReport r) {
    b.append("<section id=\"layers\">\n<h2>Layers</h2>\n<table class=\"layers\">\n<tr>");
    for (ModelRef m : r.models()) {
      b.append("<th>").append(esc(m.id())).append("</th>");
    }
    b.append("<th>op</th><th>status</th><th>aligned by</th>");
    for (ModelRef m : r.models()) {
      b.append("<th>mean ").append(esc(m.id())).append("</th>");
    }
    b.append("<th>max abs diff</th><th>cosine</th><th>note</th></tr>\n");
    for (LayerComparison l : r.layers()) {
      b.append("<tr class=\"status-").append(l.status()).append("\">");
      for (ModelRef m : r.models()) {
        b.append("<td><code>")
            .append(esc(l.names().getOrDefault(m.id(), "")))
            .append("</code></td>");
      }
      b.append("<td>")
          .append(esc(l.opType()))
          .append("</td><td class=\"status\">")
          .append(l.status())
          .append("</td><td>")
          .append(l.alignedBy() == null ? "" : l.alignedBy().name().toLowerCase(Locale.ROOT))
          .append("</td>");
      for (ModelRef m : r.models()) {
        ModelStats s = l.metrics() == null ? null : l.metrics().stats().get(m.id());
        b.append("<td class=\"num\">")
            .append(s == null ? "" : esc(Numbers.format(s.mean())))
            .append("</td>");
      }
      double worst = Double.NEGATIVE_INFINITY;
      double cos = Double.POSITIVE_INFINITY;
      if (l.metrics() != null) {
        for (PairMetrics p : l.metrics().vsReference().values()) {
          worst = Double.isNaN(p.maxAbsDiff()) ? Double.NaN : Math.max(worst, p.maxAbsDiff());
          if (p.elementwise()) {
            // Only an element-wise comparison has a cosine; summaries and statistics have none.
            cos = Double.isNaN(p.cosine()) ? Double.NaN : Math.min(cos, p.cosine());
          }
        }
      }
      b.append("<td class=\"num\">")
          .append(worst == Double.NEGATIVE_INFINITY ? "" : esc(Numbers.format(worst)))
          .append("</td><td class=\"num\">")
          .append(cos == Double.POSITIVE_INFINITY ? "" : esc(Numbers.format(cos)))
          .append("</td><td>")
          .append(l.note() == null ? "" : esc(l.note()))
          .append("</td></tr>\n");
    }
    b.append("</table>\n</section>\n");
  }

  private void findings(StringBuilder b, ComparisonReport r) {
    if (!r.attributeMismatches().isEmpty()) {
      b.append("<section id=\"attributes\"><h2>Attribute mismatches</h2><ul>\n");
      for (AttributeMismatch a : r.attributeMismatches()) {
        b.append("<li>")
            .append(esc(a.attribute()))
            .append(" at ")
            .append(esc(a.names().toString()))
            .append(": ")
            .append(
                esc(
                    a.values().entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue().render())
                        .collect(Collectors.joining(" vs "))))
            .append("</li>\n");
      }
      b.append("</ul></section>\n");
    }
    if (!r.weightMismatches().isEmpty()) {
      b.append("<section id=\"weights\"><h2>Weight mismatches</h2><ul>\n");
      for (WeightMismatch w : r.weightMismatches()) {
        b.append("<li>")
            .append(esc(w.role()))
            .append(" at ")
            .append(esc(w.names().toString()))
            .append(": ")
            .append(esc(FindingText.weightDetail(w)))
            .append("</li>\n");
      }
      b.append("</ul></section>\n");
    }
    if (!r.outputs().isEmpty()) {
      b.append("<section id=\"outputs\"><h2>Outputs</h2><ul>\n");
      for (OutputComparison o : r.outputs()) {
        b.append("<li>")
            .append(esc(o.modelId()))
            .append(" '")
            .append(esc(o.name()))
            .append("' vs m0 '")
            .append(esc(o.referenceName()))
            .append("': max abs diff ")
            .append(esc(Numbers.format(o.metrics().maxAbsDiff())))
            .append(o.metrics().withinTolerance() ? " (within tolerance)" : " (outside tolerance)")
            .append("</li>\n");
      }
      b.append("</ul></section>\n");
    }
    if (!r.notes().isEmpty()) {
      b.append("<section id=\"notes\"><h2>Notes</h2><ul>\n");
      r.notes().forEach(n -> b.append("<li>").append(esc(n)).append("</li>\n"));
      b.append("</ul></section>\n");
    }
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String esc(String s) {
    return Markup.escape(s, false);
  }

  private static final String CSS =
      "body{font-family:system-ui,sans-serif;margin:24px;color:#222}"
          + "h1{font-size:22px}h2{font-size:17px;margin-top:28px}"
          + ".verdict{padding:2px 10px;border-radius:4px;color:#fff}"
          + ".verdict.MATCH{background:#2a8f3a}.verdict.DIVERGED{background:#c0392b}"
          + ".finding{border-left:4px solid #c0392b;padding:4px 12px;background:#fdf2f1}"
          + ".finding.ok{border-color:#2a8f3a;background:#f0f8f1}"
          + "pre{white-space:pre-wrap}code{font-size:12px}"
          + "table.layers{border-collapse:collapse;font-size:12px}"
          + "table.layers td,table.layers th{border-bottom:1px solid #eee;padding:2px 6px;"
          + "text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}"
          + "tr.status-DIVERGED{background:#fadbd8}tr.status-DOWNSTREAM{background:#fdf2e9}"
          + "tr.status-UNALIGNED td,tr.status-FOLDED td{color:#888}"
          + "table.maps td{padding:4px;text-align:center;vertical-align:top}"
          + "img.map{image-rendering:pixelated;border:1px solid #ccc}\n";
}
