package dev.portcheck.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.testing.Fixtures;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive {@code mvn package} builds, unpacked and run as a user without Maven would run it:
 * Java from {@code JAVA_HOME}, a {@code PATH} holding only the few tools the launcher uses, an
 * empty home folder. The README's first command prints the report on stdout and nothing but
 * portcheck's own lines on stderr, although the engines do log (as {@code --verbose} shows).
 */
class DistributionTest {
  /** What bin/portcheck runs besides bash builtins and Java. */
  private static final List<String> TOOLS =
      List.of("bash", "dirname", "readlink", "sed", "du", "tail", "cut");

  @TempDir static Path tmp;
  private static Path home;
  private static Path bin;

  @BeforeAll
  static void unpack() throws Exception {
    Path archive = Path.of(System.getProperty("portcheck.dist.archive"));
    assertTrue(Files.isRegularFile(archive), "mvn package builds " + archive);
    Process tar =
        new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", tmp.toString())
            .inheritIO()
            .start();
    assertTrue(tar.waitFor(5, TimeUnit.MINUTES) && tar.exitValue() == 0, "tar -xzf " + archive);
    try (Stream<Path> s = Files.list(tmp)) {
      home = s.filter(p -> p.getFileName().toString().startsWith("portcheck-")).findFirst().get();
    }
    bin = Files.createDirectories(tmp.resolve("path-bin"));
    for (String tool : TOOLS) {
      Files.createSymbolicLink(bin.resolve(tool), which(tool));
    }
  }

  private static Path which(String tool) {
    for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
      Path p = Path.of(dir, tool);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    throw new IllegalStateException(tool + " is not on the PATH of the build");
  }

  private record Run(int exitCode, String out, String err) {}

  private static Run run(Path launcher, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().put("PATH", bin.toString());
    pb.environment().put("HOME", Files.createDirectories(tmp.resolve("home")).toString());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    // The natives the build already unpacked, instead of a fresh gigabyte in the empty home.
    pb.environment()
        .put("PORTCHECK_CACHE", Fixtures.repoRoot().resolve("target/native-cache").toString());
    pb.environment().putAll(env);
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "bin/portcheck " + String.join(" ", args));
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static String[] readmeFirstCommand() {
    return new String[] {
      "compare",
      Fixtures.path("models/cnn/cnn.torchscript.pt").toString(),
      Fixtures.path("models/cnn/cnn.eps_bug.keras.savedmodel").toString()
    };
  }

  @Test
  void theArchiveHoldsTheLauncherAndEveryRuntimeLibraryButNoTestOrBenchJar() throws IOException {
    assertTrue(Files.isExecutable(home.resolve("bin/portcheck")));
    assertTrue(Files.isRegularFile(home.resolve("README.md")));
    List<String> jars;
    try (Stream<Path> s = Files.list(home.resolve("lib"))) {
      jars = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    for (String prefix :
        List.of(
            "portcheck-cli-",
            "portcheck-comparator-",
            "portcheck-importers-onnx-",
            "onnxruntime-",
            "tensorflow-core-native-1.1.0-linux-x86_64",
            "pytorch-native-cpu-",
            "picocli-",
            "slf4j-nop-")) {
      assertTrue(jars.stream().anyMatch(j -> j.startsWith(prefix)), prefix + " in " + jars);
    }
    for (String absent : List.of("portcheck-bench-", "junit-", "opentest4j-", "jazzer")) {
      assertFalse(jars.stream().anyMatch(j -> j.startsWith(absent)), absent + " in " + jars);
    }
  }

  @Test
  void theReadmesFirstCommandPrintsTheReportAndOnlyPortcheckLinesOnStderr() throws Exception {
    Run r = run(home.resolve("bin/portcheck"), Map.of(), readmeFirstCommand());
    assertEquals(1, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("verdict: DIVERGED"), r.out());
    assertTrue(
        r.out()
            .contains(
                "layer 'bn2' [pytorch vs tensorflow] ==> epsilon expected: <1.0E-5> but"
                    + " was: <0.001>"),
        r.out());
    for (String line : r.err().split("\n")) {
      assertTrue(line.isEmpty() || line.startsWith("portcheck: "), "on stderr: " + r.err());
    }
  }

  @Test
  void withVerboseTheEnginesOwnLinesAreShown() throws Exception {
    // What the launcher keeps off stderr is really there: TensorFlow's absl and loader lines.
    Run r = run(home.resolve("bin/portcheck"), Map.of(), append(readmeFirstCommand(), "--verbose"));
    assertEquals(1, r.exitCode(), r.out() + r.err());
    assertTrue(
        r.err().contains("WARNING: All log messages before absl::InitializeLog() is called"),
        r.err());
    assertTrue(r.err().contains("tensorflow/cc/saved_model/loader.cc"), r.err());
    // The comparator's vector kernel is on: the JVM announces the module the launcher adds.
    assertTrue(r.err().contains("WARNING: Using incubator modules: jdk.incubator.vector"), r.err());
  }

  @Test
  void theLauncherWorksThroughASymbolicLinkFromAnotherFolder() throws Exception {
    Path links = Files.createDirectories(tmp.resolve("usr-local-bin"));
    Path link = Files.createSymbolicLink(links.resolve("portcheck"), home.resolve("bin/portcheck"));
    Run r = run(link, Map.of(), "--version");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("portcheck "), r.out());
    assertEquals("", r.err());
  }

  @Test
  void anOldJavaIsRefusedWithWhatToDo() throws Exception {
    Path old = Files.createDirectories(tmp.resolve("jdk-11/bin"));
    Files.writeString(old.getParent().resolve("release"), "JAVA_VERSION=\"11.0.22\"\n");
    Path java = old.resolve("java");
    Files.writeString(java, "#!/bin/sh\necho 'not to be run' >&2\nexit 99\n");
    assertTrue(java.toFile().setExecutable(true));
    Run r = run(home.resolve("bin/portcheck"), Map.of("JAVA_HOME", old.getParent().toString()));
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().startsWith("portcheck: ") && r.err().contains("Java 17 or newer"), r.err());
  }

  private static String[] append(String[] a, String b) {
    String[] out = Arrays.copyOf(a, a.length + 1);
    out[a.length] = b;
    return out;
  }
}
