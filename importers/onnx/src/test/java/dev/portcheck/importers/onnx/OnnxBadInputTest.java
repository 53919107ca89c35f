package dev.portcheck.importers.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.PortcheckException.Reason;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import dev.portcheck.importers.onnx.proto.GraphProto;
import dev.portcheck.importers.onnx.proto.ModelProto;
import dev.portcheck.importers.onnx.proto.NodeProto;
import dev.portcheck.importers.onnx.proto.OperatorSetIdProto;
import dev.portcheck.importers.onnx.proto.StringStringEntryProto;
import dev.portcheck.importers.onnx.proto.TensorProto;
import dev.portcheck.importers.onnx.proto.TensorShapeProto;
import dev.portcheck.importers.onnx.proto.TypeProto;
import dev.portcheck.importers.onnx.proto.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files and inputs that must fail with a PortcheckException naming the file and the problem. */
class OnnxBadInputTest {
  private final OnnxImporter importer = new OnnxImporter();
  @TempDir Path dir;

  private PortcheckException openFails(Path p, Reason reason) {
    PortcheckException e = assertThrows(PortcheckException.class, () -> importer.open(p).close());
    assertEquals(reason, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains(p.getFileName().toString()), e.getMessage());
    return e;
  }

  @Test
  void zeroByteFileIsReportedAsEmpty() throws IOException {
    Path p = Files.createFile(dir.resolve("empty.onnx"));
    assertTrue(importer.canOpen(p), "claimed so the user hears what is wrong with it");
    assertTrue(openFails(p, Reason.TRUNCATED).getMessage().contains("empty (0 bytes)"));
  }

  @Test
  void missingFileIsNotFound() {
    openFails(dir.resolve("nothere.onnx"), Reason.NOT_FOUND);
  }

  @Test
  void truncatedRealModelIsReportedAsTruncated() throws IOException {
    byte[] all = Files.readAllBytes(Fixtures.realModel("version-RFB-320.onnx"));
    Path p = dir.resolve("cut.onnx");
    Files.write(p, java.util.Arrays.copyOf(all, all.length / 2));
    assertTrue(importer.canOpen(p));
    String msg = openFails(p, Reason.TRUNCATED).getMessage();
    assertTrue(msg.contains("graph"), msg);
    Path unnamed = dir.resolve("cut.bin");
    Files.write(unnamed, java.util.Arrays.copyOf(all, all.length / 2));
    assertFalse(importer.canOpen(unnamed), "a cut file without the extension is not claimed");
  }

  @Test
  void randomBytesAreCorrupt() throws IOException {
    byte[] noise = new byte[4096];
    new Random(7).nextBytes(noise);
    noise[0] = 0x0a; // a length-delimited field 1: never a ModelProto's ir_version
    Path p = dir.resolve("noise.onnx");
    Files.write(p, noise);
    assertFalse(importer.canOpen(p));
    assertTrue(openFails(p, Reason.CORRUPT).getMessage().contains("not an ONNX ModelProto"));
  }

  @Test
  void zipsAndTensorFlowGraphDefsAreNotClaimed() throws IOException {
    Path zip = dir.resolve("model.onnx");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
      z.putNextEntry(new ZipEntry("archive/data.pkl"));
      z.write(new byte[] {1, 2, 3});
      z.closeEntry();
    }
    assertFalse(importer.canOpen(zip));
    Path graphDef = Fixtures.path("models/cnn/cnn.keras.frozen.pb");
    assertTrue(Files.isRegularFile(graphDef));
    assertFalse(importer.canOpen(graphDef));
    Path torch = Fixtures.path("models/cnn/cnn.torchscript.pt");
    assertFalse(importer.canOpen(torch));
  }

  @Test
  void onnxContentIsRecognisedWithoutTheExtension() throws IOException {
    Path p = dir.resolve("renamed.bin");
    Files.copy(Fixtures.realModel("silero_vad.onnx"), p);
    assertTrue(importer.canOpen(p));
  }

  @Test
  void externalDataEscapingTheModelFolderIsUnsafe() throws IOException {
    Path sub = Files.createDirectories(dir.resolve("model"));
    Files.write(dir.resolve("secret.bin"), new byte[16]);
    Path p = sub.resolve("escape.onnx");
    Files.write(p, addModel("../secret.bin").toByteArray());
    String msg = openFails(p, Reason.UNSAFE).getMessage();
    assertTrue(msg.contains("../secret.bin"), msg);
  }

  @Test
  void absoluteExternalDataPathIsUnsafe() throws IOException {
    Path data = dir.resolve("abs.bin");
    Files.write(data, new byte[16]);
    Path p = dir.resolve("absolute.onnx");
    Files.write(p, addModel(data.toAbsolutePath().toString()).toByteArray());
    String msg = openFails(p, Reason.UNSAFE).getMessage();
    assertTrue(msg.contains(data.toAbsolutePath().toString()), msg);
    assertTrue(msg.contains("absolute"), msg);
  }

  @Test
  void externalDataSymlinkLeavingTheFolderIsUnsafe() throws IOException {
    Path sub = Files.createDirectories(dir.resolve("linked"));
    Path outside = Files.write(dir.resolve("outside.bin"), new byte[16]);
    Files.createSymbolicLink(sub.resolve("w.bin"), outside);
    Path p = sub.resolve("link.onnx");
    Files.write(p, addModel("w.bin").toByteArray());
    assertTrue(openFails(p, Reason.UNSAFE).getMessage().contains("w.bin"));
  }

  @Test
  void externalDataInsideTheFolderIsReadAndRun() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.putFloat(1f).putFloat(2f).putFloat(3f).putFloat(4f);
    Path sub = Files.createDirectories(dir.resolve("ok"));
    Files.write(sub.resolve("weights.bin"), b.array());
    Path p = sub.resolve("add.onnx");
    Files.write(p, addModel("weights.bin").toByteArray());
    try (ModelView m = importer.open(p)) {
      assertEquals(Tensor.ofFloats(new long[] {4}, new float[] {1, 2, 3, 4}), m.parameter("w"));
      RunResult r = m.run(Map.of("x", Tensor.filled(new long[] {4}, 10f)), TapSelection.ALL);
      assertEquals(
          Tensor.ofFloats(new long[] {4}, new float[] {11, 12, 13, 14}), r.outputs().get("y"));
    }
    assertEquals(1, Files.list(sub).filter(f -> f.toString().endsWith(".onnx")).count());
  }

  @Test
  void unknownInputNameListsTheExpectedNames() {
    try (ModelView m = importer.open(Fixtures.realModel("version-RFB-320.onnx"))) {
      PortcheckException e =
          assertThrows(
              PortcheckException.class,
              () ->
                  m.run(
                      Map.of("image", Tensor.filled(new long[] {1, 3, 240, 320}, 0f)),
                      TapSelection.NONE));
      assertEquals(Reason.BAD_INPUT, e.reason());
      assertTrue(e.getMessage().contains("Unknown input name image, expected one of [input]"));
      assertTrue(e.getMessage().contains("version-RFB-320.onnx"));
    }
  }

  @Test
  void wrongShapeAndDtypeAreBadInput() {
    try (ModelView m = importer.open(Fixtures.realModel("version-RFB-320.onnx"))) {
      PortcheckException shape =
          assertThrows(
              PortcheckException.class,
              () ->
                  m.run(
                      Map.of("input", Tensor.filled(new long[] {1, 3, 320, 240}, 0f)),
                      TapSelection.NONE));
      assertEquals(Reason.BAD_INPUT, shape.reason());
      assertTrue(shape.getMessage().contains("[1, 3, 240, 320]"), shape.getMessage());
      PortcheckException dtype =
          assertThrows(
              PortcheckException.class,
              () ->
                  m.run(
                      Map.of("input", Tensor.ofLongs(DType.INT64, new long[] {1}, new long[] {1})),
                      TapSelection.NONE));
      assertEquals(Reason.BAD_INPUT, dtype.reason());
      PortcheckException tap =
          assertThrows(
              PortcheckException.class,
              () ->
                  m.run(
                      Map.of("input", Tensor.filled(new long[] {1, 3, 240, 320}, 0f)),
                      TapSelection.of("no_such_layer")));
      assertEquals(Reason.BAD_INPUT, tap.reason());
    }
  }

  @Test
  void unknownParameterIsNotFound() {
    try (ModelView m = importer.open(Fixtures.realModel("version-RFB-320_simplified.onnx"))) {
      PortcheckException e = assertThrows(PortcheckException.class, () -> m.parameter("nope"));
      assertEquals(Reason.NOT_FOUND, e.reason());
    }
  }

  /** {@code y = Relu(x + w)} on float[4], edited by {@code edit}, at {@code opset}. */
  private Path small(
      String name, java.util.function.UnaryOperator<GraphProto.Builder> edit, long opset)
      throws IOException {
    ModelProto m = addModel("w.bin");
    GraphProto.Builder g = m.getGraph().toBuilder();
    g.setInitializer(
        0,
        TensorProto.newBuilder()
            .setName("w")
            .setDataType(1)
            .addDims(4)
            .addAllFloatData(java.util.List.of(1f, 2f, 3f, 4f)));
    g.setNode(0, g.getNode(0).toBuilder().setName("add").setOutput(0, "s"));
    g.addNode(
        NodeProto.newBuilder().setName("relu").setOpType("Relu").addInput("s").addOutput("y"));
    m =
        m.toBuilder()
            .clearOpsetImport()
            .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(opset))
            .setGraph(edit.apply(g))
            .build();
    Path p = dir.resolve(name);
    Files.write(p, m.toByteArray());
    return p;
  }

  @Test
  void smallModelOpensAndRuns() throws IOException {
    try (ModelView m = importer.open(small("ok.onnx", g -> g, 17))) {
      RunResult r = m.run(Map.of("x", Tensor.filled(new long[] {4}, -2f)), TapSelection.ALL);
      assertEquals(Tensor.ofFloats(new long[] {4}, new float[] {0, 0, 1, 2}), r.outputs().get("y"));
    }
  }

  /** ONNX Runtime's refusals surface at open (so inspect exits 2) with the node and the fix. */
  @Test
  void tensorProducedTwiceIsCorruptNamingBothNodes() throws IOException {
    Path p =
        small(
            "dup.onnx",
            g ->
                g.addNode(
                    NodeProto.newBuilder()
                        .setName("again")
                        .setOpType("Relu")
                        .addInput("x")
                        .addOutput("s")),
            17);
    String msg = openFails(p, Reason.CORRUPT).getMessage();
    assertTrue(msg.contains("tensor 's' is produced twice (by nodes ['add', 'again'])"), msg);
    assertTrue(msg.contains("onnx.checker"), msg);
  }

  @Test
  void missingInitializerIsCorruptNamingTheNodeAndTensor() throws IOException {
    String msg =
        openFails(small("noinit.onnx", GraphProto.Builder::clearInitializer, 17), Reason.CORRUPT)
            .getMessage();
    assertTrue(msg.contains("node 'add' reads tensor 'w'"), msg);
    assertTrue(msg.contains("missing initializer"), msg);
  }

  @Test
  void unknownOpIsUnsupportedNamingTheNodeTheOpAndTheOpset() throws IOException {
    Path p =
        small("frob.onnx", g -> g.setNode(1, g.getNode(1).toBuilder().setOpType("Frobnicate")), 17);
    String msg = openFails(p, Reason.UNSUPPORTED_OP).getMessage();
    assertTrue(msg.contains("node 'relu' uses op Frobnicate"), msg);
    assertTrue(msg.contains("ai.onnx opset 17"), msg);
    assertFalse(msg.contains("ORT_"), "no raw engine error code: " + msg);
  }

  @Test
  void opsetNewerThanTheRuntimeSaysWhichOpsetToExportWith() throws IOException {
    String msg = openFails(small("opset99.onnx", g -> g, 99), Reason.UNSUPPORTED_OP).getMessage();
    assertTrue(msg.contains("declares ai.onnx opset 99"), msg);
    assertTrue(msg.matches("(?s).*re-export with opset_version=\\d+ or lower.*"), msg);
    assertFalse(msg.contains("onnxruntime_src"), "no C++ source location: " + msg);
  }

  @Test
  void declaredInputOfATrillionElementsIsRefusedAtOpen() throws IOException {
    TypeProto huge =
        TypeProto.newBuilder()
            .setTensorType(
                TypeProto.Tensor.newBuilder()
                    .setElemType(1)
                    .setShape(
                        TensorShapeProto.newBuilder()
                            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(1_000_000))
                            .addDim(
                                TensorShapeProto.Dimension.newBuilder().setDimValue(1_000_000))))
            .build();
    Path p = small("huge.onnx", g -> g.setInput(0, g.getInput(0).toBuilder().setType(huge)), 17);
    String msg = openFails(p, Reason.NOT_RUNNABLE).getMessage();
    assertTrue(msg.contains("input 'x' declares shape [1000000, 1000000]"), msg);
  }

  @Test
  void engineMessagesLoseTheirCodePrefixAndSourceLocation() {
    assertEquals(
        "something broke",
        OnnxLoadErrors.clean(
            "Error code - ORT_FAIL - message: /onnxruntime_src/x.cc:46 void f(int) something broke"));
    assertEquals("first line", OnnxLoadErrors.clean("first line\nstack\nmore"));
  }

  /** y = x + w, with w (float[4]) stored externally at {@code location}. */
  static ModelProto addModel(String location) {
    TypeProto vec =
        TypeProto.newBuilder()
            .setTensorType(
                TypeProto.Tensor.newBuilder()
                    .setElemType(1)
                    .setShape(
                        TensorShapeProto.newBuilder()
                            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(4))))
            .build();
    TensorProto w =
        TensorProto.newBuilder()
            .setName("w")
            .setDataType(1)
            .addDims(4)
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(
                StringStringEntryProto.newBuilder().setKey("location").setValue(location))
            .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
            .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("16"))
            .build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("add")
            .addNode(
                NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("w").addOutput("y"))
            .addInitializer(w)
            .addInput(ValueInfoProto.newBuilder().setName("x").setType(vec))
            .addOutput(ValueInfoProto.newBuilder().setName("y").setType(vec))
            .build();
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("portcheck-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17))
        .setGraph(g)
        .build();
  }
}
