package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The third-party models in {@code fixtures/thirdparty} are the authors' files, byte for byte, each
 * with its licence and provenance: a clone needs nothing beside the repository to run its tests.
 */
class ThirdPartyModelsTest {
  private static final Set<String> NOT_LISTED = Set.of("README.md", "SHA256SUMS");

  @Test
  void everyFileMatchesItsSha256SumAndNoneIsUnlisted() throws Exception {
    Path dir = Fixtures.realModels();
    Map<String, String> sums = sums(dir.resolve("SHA256SUMS"));
    assertFalse(sums.isEmpty(), "SHA256SUMS lists no file");
    for (Map.Entry<String, String> e : sums.entrySet()) {
      Path p = dir.resolve(e.getKey());
      assertTrue(Files.isRegularFile(p), "listed in SHA256SUMS but missing: " + p);
      assertEquals(e.getValue(), sha256(p), "sha256 of " + p + " (the authors' file was changed)");
    }
    Set<String> onDisk;
    try (Stream<Path> s = Files.list(dir)) {
      onDisk =
          s.map(p -> p.getFileName().toString())
              .filter(n -> !NOT_LISTED.contains(n))
              .collect(Collectors.toCollection(TreeSet::new));
    }
    assertEquals(new TreeSet<>(sums.keySet()), onDisk, "files on disk vs SHA256SUMS");
  }

  @Test
  void everyModelHasItsSourceAndLicenceInTheReadme() throws IOException {
    Path dir = Fixtures.realModels();
    String readme = Files.readString(dir.resolve("README.md"));
    Set<String> licences = new TreeSet<>();
    for (String name : sums(dir.resolve("SHA256SUMS")).keySet()) {
      if (name.startsWith("LICENSE-")) {
        licences.add(name);
        assertTrue(readme.contains("`" + name + "`"), "README names no model under " + name);
      } else {
        assertTrue(readme.contains("| `" + name + "` |"), "README has no row for " + name);
      }
    }
    assertFalse(licences.isEmpty(), "no licence file");
    assertTrue(readme.contains("commit "), "README gives the source commits");
  }

  /** {@code sha256sum} output: {@code <hex> <name>} per line. */
  private static Map<String, String> sums(Path file) throws IOException {
    Map<String, String> sums = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.strip().split("\\s+\\*?", 2);
      assertEquals(2, parts.length, "SHA256SUMS line: " + line);
      sums.put(parts[1], parts[0]);
    }
    return sums;
  }

  private static String sha256(Path p) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(p)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
