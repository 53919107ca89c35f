package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every entry of the {@link BadInputCorpus} through the CLI as a user runs it: {@code inspect} and
 * {@code compare} for models, {@code compare --labels} for label files, {@code compare --input} for
 * probe arrays. Each must exit 2 with one {@code portcheck:} line naming the file and the problem,
 * no stack trace, and nothing on standard output that could pass for a result.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputCorpusTest {
  private Path dir;
  private List<BadInputCorpus.Entry> corpus;

  @BeforeAll
  void generate() throws IOException {
    dir = Files.createTempDirectory("portcheck-corpus");
    corpus = BadInputCorpus.generate(dir);
  }

  @AfterAll
  void cleanUp() throws IOException {
    if (Boolean.getBoolean("portcheck.corpus.keep")) {
      System.err.println("bad-input corpus kept in " + dir);
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  Stream<BadInputCorpus.Entry> models() {
    return corpus.stream().filter(e -> e.use() == BadInputCorpus.Use.MODEL);
  }

  Stream<BadInputCorpus.Entry> companions() {
    return corpus.stream().filter(e -> e.use() != BadInputCorpus.Use.MODEL);
  }

  private static String good(String rel) {
    return Fixtures.path(rel).toString();
  }

  private static void assertCannotCheck(
      BadInputCorpus.Entry e, String command, CliRunner.Result r) {
    String err = r.err();
    // The corpus log (target/surefire-reports/*-output.txt) is the list of inputs tried.
    System.out.println(command + " | " + e.id() + " | exit " + r.exitCode() + " | " + err.strip());
    String where =
        command
            + " on "
            + e.id()
            + ": exit "
            + r.exitCode()
            + "\nerr: "
            + err
            + "\nout: "
            + r.out();
    assertAll(
        () -> assertEquals(ExitCodes.CANNOT_CHECK, r.exitCode(), where),
        () -> assertTrue(err.startsWith("portcheck: "), where),
        () -> assertFalse(err.contains("internal error"), where),
        () -> assertFalse(err.contains("\tat "), "stack trace without --verbose: " + where),
        () -> assertFalse(err.contains("Exception"), "exception class in the message: " + where),
        () -> assertEquals(1, err.strip().lines().count(), "one line: " + where),
        () ->
            assertTrue(err.contains(e.file().getFileName().toString()), "names the file: " + where),
        () -> {
          for (String word : e.expect()) {
            assertTrue(
                err.toLowerCase(Locale.ROOT).contains(word.toLowerCase(Locale.ROOT)),
                "says '" + word + "': " + where);
          }
        },
        () -> assertFalse(r.out().contains("verdict"), "no report: " + where));
  }

  @ParameterizedTest(name = "inspect: {0}")
  @MethodSource("models")
  void inspectRefusesWithExit2NamingTheFileAndTheProblem(BadInputCorpus.Entry e) {
    assertCannotCheck(e, "inspect", CliRunner.run("inspect", e.file().toString()));
  }

  @ParameterizedTest(name = "compare: {0}")
  @MethodSource("models")
  void compareRefusesWithExit2NamingTheFileAndTheProblem(BadInputCorpus.Entry e) {
    assertCannotCheck(
        e, "compare", CliRunner.run("compare", e.partner().toString(), e.file().toString()));
  }

  @ParameterizedTest(name = "compare: {0}")
  @MethodSource("companions")
  void compareRefusesBadLabelFilesAndInputsWithExit2(BadInputCorpus.Entry e) {
    List<String> args =
        new ArrayList<>(
            List.of("compare", good(BadInputCorpus.GOOD_ONNX), good(BadInputCorpus.GOOD_TF)));
    if (e.use() == BadInputCorpus.Use.LABELS) {
      args.addAll(
          List.of("--labels", good("models/labels/classes.txt"), "--labels", e.file().toString()));
    } else {
      args.addAll(List.of("--input", e.file().toString()));
    }
    assertCannotCheck(e, "compare", CliRunner.run(args.toArray(String[]::new)));
  }
}
