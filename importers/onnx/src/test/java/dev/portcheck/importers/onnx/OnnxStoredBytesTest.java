package dev.portcheck.importers.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcheck.importers.api.testing.Fixtures;
import dev.portcheck.importers.onnx.proto.GraphProto;
import dev.portcheck.importers.onnx.proto.ModelProto;
import dev.portcheck.importers.onnx.proto.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memory estimate's view of an ONNX model: the external data files it keeps weights in. */
class OnnxStoredBytesTest {
  @TempDir Path dir;

  private final OnnxImporter importer = new OnnxImporter();

  @Test
  void externalDataFilesAreCountedOnceEach() throws IOException {
    Files.write(dir.resolve("weights.bin"), new byte[40_000]);
    Files.write(dir.resolve("other.bin"), new byte[1_000]);
    ModelProto one = OnnxBadInputTest.addModel("weights.bin");
    GraphProto.Builder g = one.getGraph().toBuilder();
    TensorProto w = g.getInitializer(0);
    // two more tensors: one in the same file (counted once), one in another file
    g.addInitializer(w.toBuilder().setName("w2"));
    g.addInitializer(
        w.toBuilder()
            .setName("w3")
            .setExternalData(0, w.getExternalData(0).toBuilder().setValue("other.bin")));
    Path p = dir.resolve("m.onnx");
    Files.write(p, one.toBuilder().setGraph(g).build().toByteArray());
    assertEquals(Set.of("weights.bin", "other.bin"), OnnxStoredBytes.locations(p));
    assertEquals(41_000, importer.referencedBytes(p));
  }

  @Test
  void locationsOutsideTheFolderOrMissingCountNothing() throws IOException {
    Path sub = Files.createDirectories(dir.resolve("model"));
    Files.write(dir.resolve("secret.bin"), new byte[16]);
    Path escape = sub.resolve("escape.onnx");
    Files.write(escape, OnnxBadInputTest.addModel("../secret.bin").toByteArray());
    assertEquals(0, importer.referencedBytes(escape));
    Path missing = sub.resolve("missing.onnx");
    Files.write(missing, OnnxBadInputTest.addModel("gone.bin").toByteArray());
    assertEquals(Set.of("gone.bin"), OnnxStoredBytes.locations(missing));
    assertEquals(0, importer.referencedBytes(missing));
  }

  @Test
  void aModelWithItsWeightsInsideRefersToNoFile() {
    Path p = Fixtures.realModel("silero_vad.onnx");
    assertEquals(Set.of(), OnnxStoredBytes.locations(p));
    assertEquals(0, importer.referencedBytes(p));
  }

  @Test
  void notAProtobufCountsNothingAndDoesNotThrow() throws IOException {
    Path p = dir.resolve("junk.onnx");
    Files.write(p, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 1, 2, 3});
    assertEquals(0, importer.referencedBytes(p));
  }
}
