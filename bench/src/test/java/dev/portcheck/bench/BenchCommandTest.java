package dev.portcheck.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.cli.Portcheck;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code bench} on the small cnn fixture, three engines: every figure the README promises is
 * present and consistent (no timing is asserted; the numbers depend on the machine).
 */
class BenchCommandTest {
  private static final String DIR = "models/cnn/";

  private record Run(int exitCode, String out, String err) {}

  /** The portcheck command line as a user gets it: bench joins it through ServiceLoader. */
  private static Run run(String... args) {
    CommandLine cl = Portcheck.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void benchJoinsThePortcheckCommandLineFromItsJar() {
    assertTrue(Portcheck.commandLine().getSubcommands().containsKey("bench"));
    Run help = run("help");
    assertTrue(help.out().contains("bench"), help.out());
    Run unknown = run("benhc");
    assertEquals(2, unknown.exitCode());
    assertTrue(
        unknown
            .err()
            .contains(
                "unknown command 'benhc' (did you mean bench?); portcheck's commands are compare,"
                    + " snapshot, check, labels, inspect, bench"),
        unknown.err());
  }

  @Test
  void benchReportsPerEngineRatiosComparePhasesAndPeakMemory(@TempDir Path tmp) throws Exception {
    Path json = tmp.resolve("bench.json");
    Run r =
        run(
            "bench",
            Fixtures.path(DIR + "cnn.torchscript.pt").toString(),
            Fixtures.path(DIR + "cnn.bn.onnx").toString(),
            Fixtures.path(DIR + "cnn.keras.savedmodel").toString(),
            "--shape",
            "x=1,3,32,32",
            "--runs",
            "2",
            "--probe-counts",
            "1,2",
            "--json",
            json.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("ratios: pytorch tapped / plain = "), r.out());
    assertTrue(r.out().contains("ratios: onnx tapped / plain = "), r.out());
    assertTrue(r.out().contains("ratios: tensorflow tapped / plain = "), r.out());
    assertTrue(r.out().contains("budget 2 x weights + 1 GiB"), r.out());

    JsonNode b = new ObjectMapper().readTree(Files.readString(json));
    assertEquals(1, b.path("schemaVersion").asInt());
    assertEquals(3, b.path("engines").size());
    for (JsonNode e : b.path("engines")) {
      assertTrue(e.path("plainMs").asDouble() > 0, e.toString());
      assertTrue(e.path("tappedMs").asDouble() > 0, e.toString());
      assertEquals(
          e.path("tappedMs").asDouble() / e.path("plainMs").asDouble(),
          e.path("tappedOverPlain").asDouble(),
          1e-9);
      assertTrue(e.path("tappedCopiedMs").asDouble() > 0, e.toString());
      assertEquals(
          e.path("tappedCopiedMs").asDouble() / e.path("plainMs").asDouble(),
          e.path("tappedCopiedOverPlain").asDouble(),
          1e-9);
    }
    JsonNode c = b.path("compare");
    assertTrue(c.path("weightBytes").asLong() > 0);
    List<JsonNode> rows = List.of(c.path("byProbes").get(0), c.path("byProbes").get(1));
    assertEquals(1, rows.get(0).path("probes").asInt());
    assertEquals(2, rows.get(1).path("probes").asInt());
    for (JsonNode row : rows) {
      // the clean cnn exports agree, whatever the probe count
      assertEquals("MATCH", row.path("verdict").asText(), row.toString());
      Set<String> phases = new HashSet<>();
      row.path("phasesMs").fieldNames().forEachRemaining(phases::add);
      assertEquals(Set.of("ALIGN", "STATIC_CHECKS", "RUN", "SUMMARISE", "ASSEMBLE"), phases);
      double sum = 0;
      for (JsonNode ms : row.path("phasesMs")) {
        sum += ms.asDouble();
      }
      assertTrue(sum <= row.path("compareMs").asDouble() + 1, "phases fit in the compare time");
      assertTrue(row.path("peakRssMiB").asDouble() > 0);
    }
    assertTrue(b.path("compareOverSumPlain").asDouble() > 0);
    assertTrue(b.path("runOverSumPlain").asDouble() > 0);
  }

  @Test
  void compareSetsNeedTheLauncherToRunAsProcessesOfTheirOwn() {
    Run r = run("bench", "--compare-set", "x=a.pt,a.onnx");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("give the launcher with --portcheck EXE"), r.err());
    Run none = run("bench");
    assertEquals(2, none.exitCode());
    assertTrue(
        none.err().contains("bench needs one to three MODELs, or --compare-set."), none.err());
  }

  /**
   * A stand-in launcher that writes the report a compare would (its verdict) or fails as a refused
   * compare does: each set becomes a row with the verdict, or the message, and the exit code.
   */
  @Test
  void eachCompareSetIsRunAsAProcessAndRecordedWithItsVerdict(@TempDir Path tmp) throws Exception {
    Path launcher = tmp.resolve("fake-portcheck");
    Files.writeString(
        launcher,
        "#!/bin/sh\n"
            + "case \"$2\" in *refused*) echo 'portcheck: these 2 model(s) need 40 GiB' >&2;"
            + " exit 2;; esac\n"
            + "while [ $# -gt 0 ]; do if [ \"$1\" = --json ]; then"
            + " printf '{\"verdict\":\"DIVERGED\"}' > \"$2\"; fi; shift; done\n"
            + "exit 1\n");
    launcher.toFile().setExecutable(true);
    Path cnnTs = Fixtures.path(DIR + "cnn.torchscript.pt");
    Path cnnOnnx = Fixtures.path(DIR + "cnn.bn.onnx");
    Path refused = Files.copy(cnnTs, tmp.resolve("refused.pt"));
    Path json = tmp.resolve("bench.json");
    Run r =
        run(
            "bench",
            "--portcheck",
            launcher.toString(),
            "--compare-set",
            "cnn=" + cnnTs + "," + cnnOnnx,
            "--compare-set",
            "big=" + refused + "," + cnnOnnx,
            "--json",
            json.toString());
    assertEquals(0, r.exitCode(), r.err());
    JsonNode sets = new ObjectMapper().readTree(Files.readString(json)).path("compareSets");
    assertEquals(2, sets.size());
    JsonNode cnn = sets.get(0);
    assertEquals("cnn", cnn.path("name").asText());
    assertEquals("DIVERGED", cnn.path("verdict").asText());
    assertEquals(1, cnn.path("process").path("exitCode").asInt());
    assertEquals(Files.size(cnnTs) + Files.size(cnnOnnx), cnn.path("weightBytes").asLong());
    assertTrue(cnn.path("process").path("command").asText().contains(" compare " + cnnTs + " "));
    JsonNode big = sets.get(1);
    assertTrue(big.path("verdict").isMissingNode(), big.toString());
    assertEquals(2, big.path("process").path("exitCode").asInt());
    assertEquals("portcheck: these 2 model(s) need 40 GiB", big.path("message").asText());
    assertTrue(r.out().contains("big"), r.out());
  }
}
