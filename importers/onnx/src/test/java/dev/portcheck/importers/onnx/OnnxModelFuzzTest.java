package dev.portcheck.importers.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.testing.Fixtures;
import dev.portcheck.importers.onnx.proto.ModelProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the ONNX importer's own code, without ONNX Runtime: the file probe, the protobuf parse,
 * the graph reader (layers, attributes, initializers, external-data checks) and the model edit that
 * adds tapped tensors as outputs. Any bytes must give a view whose edited copy parses again, or a
 * {@link PortcheckException} naming the file. CI runs the saved inputs only; see docs/FUZZING.md.
 */
class OnnxModelFuzzTest {
  private static Path dir;

  private static synchronized Path file() {
    try {
      if (dir == null) {
        dir = Files.createTempDirectory("portcheck-onnxfuzz");
      }
      return dir.resolve("fuzz-model.onnx");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterAll
  static void cleanUp() throws IOException {
    if (dir != null) {
      Files.deleteIfExists(dir.resolve("fuzz-model.onnx"));
      Files.deleteIfExists(dir);
    }
  }

  @FuzzTest(maxDuration = "5m")
  void modelEitherReadsAndEditsOrRefusesNamingTheFile(byte[] data) throws IOException {
    Path p = file();
    Files.write(p, data);
    readAndEdit(p);
  }

  static void readAndEdit(Path p) {
    try (OnnxModelView v = OnnxImporter.read(p)) {
      Set<String> taps = new LinkedHashSet<>();
      for (Layer l : v.layers()) {
        if (l.tappable() && !l.outputs().isEmpty()) {
          taps.add(l.outputs().get(0));
        }
      }
      for (String name : v.parameters().keySet()) {
        v.parameter(name);
      }
      byte[] edited = v.editedForTaps(taps);
      ModelProto again = ModelProto.parseFrom(edited);
      assertTrue(
          again.getGraph().getOutputCount() >= v.outputs().size(), "the edit keeps the outputs");
    } catch (PortcheckException e) {
      assertTrue(e.getMessage().contains(p.getFileName().toString()), e.getMessage());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError("the edited model does not parse", e);
    }
  }

  @Test
  void fixtureModelsPassTheFuzzTargetWhole() {
    readAndEdit(Fixtures.path("models/cnn/cnn.bn.onnx"));
    readAndEdit(Fixtures.path("models/transformer/transformer.onnx"));
  }
}
