package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line's refusals in the user's terms: how many models, which option is unknown, which
 * file and which side does not fit, and the JSON error object on stdout with {@code --json -}.
 */
class ArgumentMessagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static String model(String rel) {
    return Fixtures.path("models/" + rel).toString();
  }

  /** The first line on stderr, without the "portcheck: " prefix. */
  private static String message(CliRunner.Result r) {
    String first = r.err().lines().findFirst().orElse("");
    assertTrue(first.startsWith("portcheck: "), r.err());
    return first.substring("portcheck: ".length());
  }

  @Test
  void fourModelsAreRefusedSayingCompareTakesTwoOrThreeModels() {
    String a = model("cnn/cnn.bn.onnx");
    CliRunner.Result r = CliRunner.run("compare", a, a, a, a);
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
    assertTrue(
        message(r).startsWith("compare takes 2 or 3 models (got 4): " + a + ", " + a), r.err());
    assertTrue(r.err().contains("Try 'portcheck compare --help'."), r.err());
    assertFalse(r.err().contains("requires at least"), r.err());
  }

  @Test
  void oneModelIsRefusedSayingCompareTakesTwoOrThreeModels() {
    String a = model("cnn/cnn.bn.onnx");
    CliRunner.Result r = CliRunner.run("compare", a);
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
    assertTrue(message(r).startsWith("compare takes 2 or 3 models (got 1): " + a), r.err());
    assertTrue(
        message(r).endsWith("give the reference model first, then its port (and a second port)."),
        r.err());
  }

  @Test
  void unknownOptionWithAValueIsNamedWithTheOptionsItProbablyMeant() {
    String a = model("cnn/cnn.bn.onnx");
    String b = model("cnn/cnn.folded.onnx");
    for (String[] args :
        new String[][] {
          {"compare", a, b, "--tolerance", "1e-3"}, {"compare", a, "--tolerance", "1e-3", b}
        }) {
      CliRunner.Result r = CliRunner.run(args);
      assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
      assertEquals(
          "unknown option --tolerance; did you mean --atol, --rtol or --layer-tolerance?",
          message(r));
      assertFalse(r.err().contains("1e-3"), r.err());
    }
  }

  @Test
  void unknownCommandIsNamedWithPortchecksCommands() {
    // bench lives in its own module and joins the list when its jar is on the class path
    // (BenchCommandTest); the CLI module alone has these.
    String commands = "portcheck's commands are compare, snapshot, check, labels, inspect";
    CliRunner.Result r = CliRunner.run("diff", model("cnn/cnn.bn.onnx"));
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
    assertEquals("unknown command 'diff'; " + commands, message(r));
    assertTrue(r.err().contains("Try 'portcheck --help'."), r.err());
    assertFalse(r.err().contains("Unmatched argument"), r.err());
    CliRunner.Result typo = CliRunner.run("comapre", model("cnn/cnn.bn.onnx"));
    assertEquals(ExitCodes.CANNOT_CHECK, typo.exitCode());
    assertEquals("unknown command 'comapre' (did you mean compare?); " + commands, message(typo));
    CliRunner.Result help = CliRunner.run("help", "comapre");
    assertEquals(ExitCodes.CANNOT_CHECK, help.exitCode());
    assertEquals("unknown command 'comapre' (did you mean compare?); " + commands, message(help));
  }

  @Test
  void secondModelForAOneModelCommandIsNamedAsAnExtraArgument() {
    String a = model("cnn/cnn.bn.onnx");
    CliRunner.Result r = CliRunner.run("inspect", a, "extra.onnx");
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
    assertEquals("inspect takes one model; unexpected extra argument 'extra.onnx'", message(r));
  }

  @Test
  void checkAgainstALabelListSuggestsANewBaselineFileNeverTheListItself() throws IOException {
    Path list = dir.resolve("labels5.txt");
    Files.writeString(list, "cat\ndog\nbird\nfish\nfrog\n");
    CliRunner.Result r =
        CliRunner.run("check", model("cnn/cnn.bn.onnx"), "--baseline", list.toString());
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
    assertTrue(
        message(r).contains("'portcheck snapshot MODEL -o " + dir.resolve("labels5.baseline.json")),
        r.err());
    assertFalse(r.err().contains("-o " + list), r.err());
    assertFalse(r.err().contains("-o labels5.txt"), r.err());
    // The suggestion never names a file that exists either.
    Files.writeString(dir.resolve("labels5.baseline.json"), "{}");
    CliRunner.Result again =
        CliRunner.run("check", model("cnn/cnn.bn.onnx"), "--baseline", list.toString());
    assertTrue(
        message(again).contains("-o " + dir.resolve("labels5.baseline-2.json")), again.err());
  }

  @Test
  void modelThatDoesNotFitTheBaselineNamesTheBaselineAndBothSides() throws IOException {
    Path baseline = dir.resolve("cnn.baseline.json");
    CliRunner.Result snap =
        CliRunner.run("snapshot", model("cnn/cnn.bn.onnx"), "-o", baseline.toString());
    assertEquals(ExitCodes.MATCH, snap.exitCode(), snap.err());
    String mobilenet = model("mobilenet/mobilenet.bn.onnx");
    CliRunner.Result r = CliRunner.run("check", mobilenet, "--baseline", baseline.toString());
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    assertEquals(
        "the baseline "
            + baseline
            + " recorded input 'input' as [1, 3, 32, 32]; the model "
            + mobilenet
            + " declares its input 'input' as [1, 3, 64, 64], which no reordering of the axes"
            + " fits. Check the model against a baseline recorded from a model with the same"
            + " inputs.",
        message(r));
  }

  @Test
  void modelsThatTakeOtherInputsAreRefusedNamingBothSides() {
    String cnn = model("cnn/cnn.bn.onnx");
    String mobilenet = model("mobilenet/mobilenet.bn.onnx");
    CliRunner.Result r = CliRunner.run("compare", cnn, mobilenet);
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.out());
    assertTrue(
        message(r)
            .startsWith(
                "m0 "
                    + cnn
                    + " declares input 'input' as [1, 3, 32, 32]; m1 "
                    + mobilenet
                    + " declares its input 'input' as [1, 3, 64, 64]"),
        r.err());
  }

  @Test
  void jsonDashPrintsAnErrorObjectOnStdoutWhenTheCommandRefuses() throws IOException {
    String a = model("cnn/cnn.bn.onnx");
    Path missing = dir.resolve("nope.onnx");
    Object[][] cases = {
      {new String[] {"compare", a, "--json", "-"}, "USAGE"},
      {new String[] {"compare", a, a, "--tolerance", "1e-3", "--json=-"}, "USAGE"},
      {new String[] {"compare", a, missing.toString(), "--json", "-"}, "NOT_FOUND"},
      {new String[] {"compare", a, a, "--shape", "x=1,a", "--json", "-"}, "USAGE"},
      {new String[] {"check", a, "--baseline", missing.toString(), "--json", "-"}, "NOT_FOUND"},
      {new String[] {"inspect", missing.toString(), "--json"}, "NOT_FOUND"},
    };
    for (Object[] c : cases) {
      CliRunner.Result r = CliRunner.run((String[]) c[0]);
      assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), r.err());
      JsonNode root = JSON.readTree(r.out());
      assertEquals(1, root.path("schemaVersion").asInt(), r.out());
      assertEquals(c[1], root.path("error").path("reason").asText(), r.out());
      // The same one-line message on stderr as in the object.
      assertEquals(message(r), root.path("error").path("message").asText(), r.out());
      assertEquals(1, r.out().strip().lines().count(), r.out());
    }
  }

  @Test
  void withoutJsonOnStdoutARefusalPrintsNothingThere() {
    CliRunner.Result r =
        CliRunner.run(
            "compare", model("cnn/cnn.bn.onnx"), "--json", dir.resolve("r.json").toString());
    assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode());
    assertEquals("", r.out());
    assertFalse(Files.exists(dir.resolve("r.json")));
  }

  @Test
  void badOptionValuesAreUsageErrorsNamingTheOptionAndItsForm() {
    String a = model("cnn/cnn.bn.onnx");
    String[][] cases = {
      {"--shape", "x=1,3,a", "Invalid value for option '--shape' (NAME=DIMS): 'x=1,3,a': sizes"},
      {
        "--value",
        "sr=16k",
        "Invalid value for option '--value' ([MODEL:]NAME=N): 'sr=16k': the value"
      },
      {
        "--input",
        "gaussian",
        "Invalid value for option '--input' ([[MODEL:]NAME=]SPEC): probe 'gaussian'"
      },
      {
        "--layer-tolerance",
        "bn2",
        "Invalid value for option '--layer-tolerance' (LAYER=ATOL[,RTOL]): 'bn2': expected"
            + " LAYER=ATOL[,RTOL]"
      },
      {"--max-memory", "lots", "Invalid value for option '--max-memory': 'lots': expected a size"},
      {"--atol", "-1", "Invalid value for option '--atol': '-1': a tolerance is a finite number"},
    };
    for (String[] c : cases) {
      CliRunner.Result r = CliRunner.run("compare", a, a, c[0], c[1]);
      assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), c[0] + ": " + r.err());
      assertTrue(message(r).startsWith(c[2]), c[0] + ": " + r.err());
      assertTrue(r.err().contains("Try 'portcheck compare --help'."), r.err());
    }
  }
}
