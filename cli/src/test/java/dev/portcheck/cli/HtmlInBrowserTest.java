package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML report in a real headless browser (Debian's {@code chromium}, installed by {@code
 * .ci/run}): a wrapper page loads the report in a frame and reports, after load, how many images
 * decoded and the plot's rendered size. Skipped where no chromium is installed; the structural
 * checks in {@link BaselineFixturesTest} run everywhere.
 */
class HtmlInBrowserTest {
  private static final String WRAPPER =
      "<!DOCTYPE html><html><body><iframe id=\"f\" src=\"report.html\" width=\"1200\""
          + " height=\"3000\" onload=\"check()\"></iframe><pre id=\"result\">pending</pre><script>"
          + "function check(){const d=document.getElementById('f').contentDocument;"
          + "const imgs=[...d.images];"
          + "const broken=imgs.filter(i=>!i.complete||i.naturalWidth===0).length;"
          + "const svg=d.getElementById('error-plot');"
          + "const bb=svg?svg.getBoundingClientRect():{width:0,height:0};"
          + "const m=d.getElementById('first-divergence-marker');"
          + "const mb=m?m.getBoundingClientRect():{height:0};"
          + "document.getElementById('result').textContent=JSON.stringify({title:d.title,"
          + "images:imgs.length,broken:broken,plotWidth:bb.width,plotHeight:bb.height,"
          + "points:d.querySelectorAll('#error-plot circle').length,"
          + "outside:d.querySelectorAll('#error-plot circle.outside').length,"
          + "markerHeight:mb.height});}"
          + "</script></body></html>";

  @TempDir Path dir;

  static String chromium() {
    for (String c : List.of("chromium", "chromium-browser", "google-chrome")) {
      for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        if (Files.isExecutable(Path.of(p, c))) {
          return Path.of(p, c).toString();
        }
      }
    }
    return null;
  }

  @Test
  void epsilonReportRendersInChromium() throws Exception {
    String chromium = chromium();
    Assumptions.assumeTrue(chromium != null, "chromium is not installed (.ci/run installs it)");
    Path html = dir.resolve("report.html");
    CliRunner.Result r =
        CliRunner.run(
            "compare",
            Fixtures.path("models/cnn/cnn.torchscript.pt").toString(),
            Fixtures.path("models/cnn/cnn.eps_bug.keras.savedmodel").toString(),
            "--html",
            html.toString());
    assertEquals(1, r.exitCode(), r.err());
    Path wrapper = Files.writeString(dir.resolve("wrapper.html"), WRAPPER);
    Process p =
        new ProcessBuilder(
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--allow-file-access-from-files",
                "--user-data-dir=" + dir.resolve("profile"),
                "--virtual-time-budget=10000",
                "--dump-dom",
                wrapper.toUri().toString())
            .redirectError(dir.resolve("chromium.log").toFile())
            .start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
    String dom = new String(out, StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("<pre id=\"result\">([^<]*)</pre>").matcher(dom);
    assertTrue(m.find(), "no result in: " + dom);
    JsonNode res = new ObjectMapper().readTree(m.group(1).replace("&quot;", "\""));
    assertEquals("portcheck: DIVERGED", res.path("title").asText(), res.toString());
    assertTrue(res.path("images").asInt() >= 2, res.toString());
    assertEquals(0, res.path("broken").asInt(), "images that did not decode: " + res);
    assertTrue(res.path("plotWidth").asDouble() > 100, res.toString());
    assertTrue(res.path("plotHeight").asDouble() > 100, res.toString());
    assertTrue(res.path("outside").asInt() > 0, res.toString());
    assertTrue(res.path("markerHeight").asDouble() > 50, res.toString());
  }
}
