package dev.portcheck.importers.pytorch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.testing.Fixtures;
import dev.portcheck.importers.pytorch.pickle.PtUnpickler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes what the PyTorch importer parses itself, without libtorch: the restricted unpickler on raw
 * pickles, and whole files (zip reader, {@code data.pkl}, storages, TorchScript code index and the
 * recording rewrite) through {@link PtImporter#open}. Any bytes must end in a model view or a
 * {@link PortcheckException} naming the file; nothing else may escape. CI runs the saved inputs
 * only; see docs/FUZZING.md to fuzz.
 */
class PtParsersFuzzTest {
  private static Path dir;

  private static synchronized Path file() {
    try {
      if (dir == null) {
        dir = Files.createTempDirectory("portcheck-ptfuzz");
      }
      return dir.resolve("fuzz-model.pt");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterAll
  static void cleanUp() throws IOException {
    if (dir != null) {
      Files.deleteIfExists(dir.resolve("fuzz-model.pt"));
      Files.deleteIfExists(dir);
    }
  }

  @FuzzTest(maxDuration = "5m")
  void unpicklerEitherBuildsInertValuesOrRefusesNamingTheFile(byte[] data) {
    Path p = Path.of("fuzz.pkl");
    try {
      PtUnpickler.load(p, "data.pkl", data, pid -> PtUnpickler.parseStoragePid(p, "data.pkl", pid));
    } catch (PortcheckException e) {
      assertTrue(e.getMessage().contains("fuzz.pkl"), e.getMessage());
    }
  }

  @FuzzTest(maxDuration = "5m")
  void archiveEitherOpensOrRefusesNamingTheFile(byte[] data) throws IOException {
    Path p = file();
    Files.write(p, data);
    openEverything(p);
  }

  /** Opens {@code p} and reads every parameter and the rewrite, as a comparison would. */
  static void openEverything(Path p) {
    try (ModelView v = new PtImporter().open(p)) {
      v.layers();
      for (String name : v.parameters().keySet()) {
        v.parameter(name);
      }
      if (v instanceof PtScriptView s) {
        s.rewrittenArchive();
      }
    } catch (PortcheckException e) {
      assertTrue(e.getMessage().contains(p.getFileName().toString()), e.getMessage());
    }
  }

  @Test
  void fixtureCheckpointAndTorchScriptPassTheFuzzTargetWhole() {
    for (String rel : new String[] {"models/cnn/cnn.pth", "models/cnn/cnn.torchscript.pt"}) {
      try (ModelView v = new PtImporter().open(Fixtures.path(rel))) {
        assertTrue(!v.parameters().isEmpty(), rel);
      }
      openEverything(Fixtures.path(rel));
    }
  }
}
