package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The committed fixtures are exactly what the manifest says: every byte accounted for. */
class FixtureManifestTest {

  @Test
  void everyListedModelExistsWithItsSizeAndSha256() throws Exception {
    List<JsonNode> files = Fixtures.allFiles();
    assertFalse(files.isEmpty(), "manifest lists no files");
    for (JsonNode f : files) {
      Path p = Fixtures.path(f.path("path").asText());
      assertTrue(Files.exists(p), "listed in manifest but missing: " + p);
      if (Files.isDirectory(p)) {
        assertTrue(f.path("files").size() > 0, "folder entry without file list: " + p);
        for (JsonNode inner : f.path("files")) {
          checkFile(p.resolve(inner.path("path").asText()), inner);
        }
      } else {
        checkFile(p, f);
      }
    }
  }

  @Test
  void everyModelFileOnDiskIsListed() throws IOException {
    Set<Path> listed = new TreeSet<>();
    for (JsonNode f : Fixtures.allFiles()) {
      Path p = Fixtures.path(f.path("path").asText()).normalize();
      if (Files.isDirectory(p)) {
        f.path("files").forEach(i -> listed.add(p.resolve(i.path("path").asText()).normalize()));
      } else {
        listed.add(p);
      }
    }
    Path models = Fixtures.path("models");
    try (Stream<Path> walk = Files.walk(models)) {
      Set<Path> unlisted =
          walk.filter(Files::isRegularFile)
              .map(Path::normalize)
              .filter(p -> !p.toString().endsWith(".npy") && !p.toString().endsWith(".txt"))
              .filter(p -> !p.toString().endsWith(".json"))
              .filter(p -> !listed.contains(p))
              .collect(Collectors.toCollection(TreeSet::new));
      assertEquals(Set.of(), unlisted, "model files on disk but not in the manifest");
    }
  }

  @Test
  void everyReferenceOutputIsAReadableArrayOfTheDeclaredOutputSize() {
    for (JsonNode f : Fixtures.files(x -> x.has("reference"))) {
      long expected = 1;
      for (JsonNode d : f.path("outputs").get(0).path("shape")) {
        expected *= d.asLong();
      }
      for (String probe : List.of("ones", "random")) {
        Tensor t = Fixtures.npy(f.path("reference").path(probe).asText());
        assertEquals(expected, t.size(), f.path("path").asText() + " " + probe);
      }
    }
  }

  @Test
  void everyTransformerReferenceMatchesItsOutputAndIsFedTokenIdsBelowTheVocabulary() {
    List<JsonNode> files = Fixtures.transformerFiles(x -> true);
    assertTrue(files.size() >= 12, "transformer set lists " + files.size() + " files");
    for (JsonNode f : files) {
      String path = f.path("path").asText();
      // A SavedModel declares batch and sequence as -1: the TorchScript twin's shape is concrete.
      JsonNode torch =
          Fixtures.transformerFile(
                  "models/"
                      + f.path("family").asText()
                      + "/"
                      + f.path("family").asText()
                      + ".torchscript.pt")
              .path("outputs")
              .get(0)
              .path("shape");
      JsonNode declared = f.path("outputs").get(0).path("shape");
      assertEquals(torch.size(), declared.size(), path);
      long expected = 1;
      for (int i = 0; i < torch.size(); i++) {
        long d = declared.get(i).asLong();
        assertTrue(d == -1 || d == torch.get(i).asLong(), path + " dim " + i);
        expected *= torch.get(i).asLong();
      }
      for (String probe : List.of("ones", "random")) {
        Tensor t = Fixtures.npy(f.path("reference").path(probe).asText());
        assertEquals(expected, t.size(), path + " " + probe);
        JsonNode feeds = f.path("referenceInputs").path(probe);
        assertEquals(f.path("inputs").size(), feeds.size(), path + " feeds every input");
        for (JsonNode in : f.path("inputs")) {
          Tensor ids = Fixtures.npy(feeds.path(in.path("name").asText()).asText());
          assertEquals(DType.INT64, ids.dtype(), path + " " + in.path("name").asText());
          for (long v : ids.toLongArray()) {
            assertTrue(v >= 0 && v < 128, path + ": token id " + v + " outside the vocabulary");
          }
        }
      }
    }
  }

  @Test
  void everyPlantedBugHasItsCleanTwinAndAVisibleEffect() {
    JsonNode bugs = Fixtures.manifest().path("bugs");
    assertTrue(bugs.size() >= 2, "expected epsilon and kernel bugs");
    List<JsonNode> all = new java.util.ArrayList<>();
    bugs.forEach(all::add);
    Fixtures.manifest().path("transformers").path("bugs").forEach(all::add);
    assertTrue(all.size() >= bugs.size() + 2, "expected the transformer epsilon and MLP bugs");
    for (JsonNode bug : all) {
      assertEquals(
          bug.path("files").size(), bug.path("cleanTwins").size(), bug.path("id").asText());
      for (JsonNode twin : bug.path("cleanTwins")) {
        assertTrue(Files.exists(Fixtures.path(twin.asText())), twin.asText());
      }
      assertTrue(
          bug.path("maxAbsOutputDiff").asDouble() > 1e-3,
          bug.path("id").asText() + " must change the outputs visibly");
      assertFalse(bug.path("layer").path("pytorch").asText().isEmpty());
    }
  }

  private static void checkFile(Path p, JsonNode entry) throws Exception {
    assertTrue(Files.isRegularFile(p), "missing: " + p);
    assertEquals(entry.path("size").asLong(), Files.size(p), "size of " + p);
    assertEquals(entry.path("sha256").asText(), sha256(p), "sha256 of " + p);
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
