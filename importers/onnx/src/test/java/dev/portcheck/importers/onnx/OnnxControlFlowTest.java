package dev.portcheck.importers.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import dev.portcheck.importers.onnx.proto.AttributeProto;
import dev.portcheck.importers.onnx.proto.GraphProto;
import dev.portcheck.importers.onnx.proto.ModelProto;
import dev.portcheck.importers.onnx.proto.NodeProto;
import dev.portcheck.importers.onnx.proto.OperatorSetIdProto;
import dev.portcheck.importers.onnx.proto.TensorProto;
import dev.portcheck.importers.onnx.proto.TensorShapeProto;
import dev.portcheck.importers.onnx.proto.TypeProto;
import dev.portcheck.importers.onnx.proto.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes inside ONNX control flow are tapped: the branch an If takes on the run's inputs (Silero
 * VAD's whole network sits in the branches of a top-level If on the sample rate), and a Loop body
 * (its last iteration). A node that did not run is reported untapped with the reason.
 */
class OnnxControlFlowTest {
  private static final String THEN = "If_0_then_branch__Inline_0__";
  private static final String ELSE = "If_0_else_branch__Inline_0__";

  private static Map<String, Tensor> sileroInput(long sr) {
    // Silero's ONNX takes 64 (16 kHz) or 32 (8 kHz) context samples before a 512/256 chunk.
    float[] audio = new float[sr == 16000 ? 576 : 288];
    for (int i = 0; i < audio.length; i++) {
      audio[i] = (float) (0.3 * Math.sin(i * 0.07));
    }
    return Map.of(
        "input", Tensor.ofFloats(new long[] {1, audio.length}, audio),
        "state", Tensor.filled(new long[] {2, 1, 128}, 0f),
        "sr", Tensor.ofLongs(DType.INT64, new long[] {}, new long[] {sr}));
  }

  private static ModelView silero() {
    return new OnnxImporter().open(Fixtures.realModel("silero_vad.onnx"));
  }

  @Test
  void sileroBranchNodesAreTappableWithANoteNamingTheirBranch() {
    try (ModelView m = silero()) {
      Layer conv = m.layer(THEN + "/encoder/0/reparam_conv/Conv").orElseThrow();
      assertTrue(conv.tappable());
      assertEquals("If_0", conv.parent());
      assertEquals(
          "in the then_branch of If 'If_0': tapped on inputs that take this branch", conv.note());
      Layer other = m.layer(ELSE + "/encoder/0/reparam_conv/Conv").orElseThrow();
      assertTrue(other.note().contains("else_branch of If 'If_0'"), other.note());
    }
  }

  @Test
  void sileroOn16kHzTapsTheEncoderLstmAndDecoderOfTheBranchTakenAndNotTheOther() {
    try (ModelView m = silero()) {
      Map<String, Tensor> in = sileroInput(16000);
      RunResult plain = m.run(in, TapSelection.NONE);
      RunResult r = m.run(in, TapSelection.ALL);
      // The tapped run computes the same outputs as the model with its If.
      assertEquals(plain.outputs(), r.outputs());
      for (String layer :
          List.of(
              THEN + "/stft/Conv",
              THEN + "/encoder/0/reparam_conv/Conv",
              THEN + "/encoder/1/reparam_conv/Conv",
              THEN + "/encoder/2/reparam_conv/Conv",
              THEN + "/encoder/3/reparam_conv/Conv",
              THEN + "/decoder/rnn/LSTM",
              THEN + "/decoder/decoder/2/Conv",
              THEN + "/decoder/decoder/3/Sigmoid")) {
        assertTrue(r.layerOutputs().containsKey(layer), layer + " tapped");
      }
      // Independent reference: Python onnxruntime 1.20 on the then_branch as a model of its own,
      // same input: sum of encoder.0's conv output = -1402.46708 over [1, 128, 4].
      Tensor enc0 = r.layerOutputs().get(THEN + "/encoder/0/reparam_conv/Conv");
      assertArrayEquals(new long[] {1, 128, 4}, enc0.shape());
      double sum = 0;
      for (int i = 0; i < enc0.size(); i++) {
        sum += enc0.getFloat(i);
      }
      assertEquals(-1402.46708, sum, 1e-3);
      // The branch's last node is the model output.
      assertEquals(
          r.outputs().get("output").getFloat(0),
          r.layerOutputs().get(THEN + "/decoder/decoder/3/Sigmoid").getFloat(0));
      // Nothing of the 8 kHz branch ran, and each of its nodes says so instead of holding zeros.
      List<String> other =
          m.layers().stream().map(Layer::name).filter(n -> n.startsWith(ELSE)).toList();
      assertFalse(other.isEmpty());
      for (String n : other) {
        assertFalse(r.layerOutputs().containsKey(n), n);
        assertTrue(r.untapped().contains(n), n);
        assertEquals(
            "not executed on this input: If 'If_0' took its then_branch",
            r.untappedReasons().get(n));
      }
    }
  }

  @Test
  void sileroOn8kHzTapsTheOtherBranch() {
    try (ModelView m = silero()) {
      Map<String, Tensor> in = sileroInput(8000);
      RunResult r = m.run(in, TapSelection.ALL);
      assertEquals(m.run(in, TapSelection.NONE).outputs(), r.outputs());
      assertTrue(r.layerOutputs().containsKey(ELSE + "/encoder/0/reparam_conv/Conv"));
      assertFalse(r.layerOutputs().containsKey(THEN + "/encoder/0/reparam_conv/Conv"));
      assertEquals(
          "not executed on this input: If 'If_0' took its else_branch",
          r.untappedReasons().get(THEN + "/encoder/0/reparam_conv/Conv"));
    }
  }

  // ------------------------------------------------------------------ Loop

  private static TypeProto floats(long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))
        .build();
  }

  private static TypeProto scalar(int elemType) {
    return TypeProto.newBuilder()
        .setTensorType(
            TypeProto.Tensor.newBuilder()
                .setElemType(elemType)
                .setShape(TensorShapeProto.newBuilder()))
        .build();
  }

  private static TensorProto constant(String name, float v) {
    return TensorProto.newBuilder().setName(name).setDataType(1).addFloatData(v).build();
  }

  private static NodeProto node(String name, String op, List<String> in, String out) {
    return NodeProto.newBuilder()
        .setName(name)
        .setOpType(op)
        .addAllInput(in)
        .addOutput(out)
        .build();
  }

  /** x carried through n iterations of y = x * 2, z = y + 1 (z carried on). */
  private static Path loopModel(Path dir) throws IOException {
    GraphProto body =
        GraphProto.newBuilder()
            .setName("body")
            .addNode(node("body_mul", "Mul", List.of("x_in", "two"), "y"))
            .addNode(node("body_add", "Add", List.of("y", "one"), "z"))
            .addNode(node("body_cond", "Identity", List.of("cond_in"), "cond_out"))
            .addInitializer(constant("two", 2f))
            .addInitializer(constant("one", 1f))
            .addInput(ValueInfoProto.newBuilder().setName("i").setType(scalar(7)))
            .addInput(ValueInfoProto.newBuilder().setName("cond_in").setType(scalar(9)))
            .addInput(ValueInfoProto.newBuilder().setName("x_in").setType(floats(2)))
            .addOutput(ValueInfoProto.newBuilder().setName("cond_out").setType(scalar(9)))
            .addOutput(ValueInfoProto.newBuilder().setName("z").setType(floats(2)))
            .build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("loop")
            .addNode(
                NodeProto.newBuilder()
                    .setName("L")
                    .setOpType("Loop")
                    .addInput("n")
                    .addInput("c")
                    .addInput("x")
                    .addOutput("xf")
                    .addAttribute(
                        AttributeProto.newBuilder()
                            .setName("body")
                            .setType(AttributeProto.AttributeType.GRAPH)
                            .setG(body)))
            .addInput(ValueInfoProto.newBuilder().setName("n").setType(scalar(7)))
            .addInput(ValueInfoProto.newBuilder().setName("c").setType(scalar(9)))
            .addInput(ValueInfoProto.newBuilder().setName("x").setType(floats(2)))
            .addOutput(ValueInfoProto.newBuilder().setName("xf").setType(floats(2)))
            .build();
    ModelProto m =
        ModelProto.newBuilder()
            .setIrVersion(8)
            .setProducerName("portcheck-test")
            .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17))
            .setGraph(g)
            .build();
    Path p = dir.resolve("loop.onnx");
    Files.write(p, m.toByteArray());
    return p;
  }

  private static Map<String, Tensor> loopInput(long n) {
    return Map.of(
        "n", Tensor.ofLongs(DType.INT64, new long[] {}, new long[] {n}),
        "c", Tensor.ofLongs(DType.BOOL, new long[] {}, new long[] {1}),
        "x", Tensor.ofFloats(new long[] {2}, new float[] {1, 2}));
  }

  @Test
  void loopBodyNodesAreTappedWithTheirLastIterationsValue(@TempDir Path dir) throws IOException {
    try (ModelView m = new OnnxImporter().open(loopModel(dir))) {
      Layer add = m.layer("body_add").orElseThrow();
      assertTrue(add.tappable());
      assertEquals("in the body of Loop 'L': the tap is its last iteration's value", add.note());
      RunResult r = m.run(loopInput(3), TapSelection.ALL);
      // x = [1, 2]: y = 2x, z = y + 1 three times: [3, 5], [7, 11], [15, 23].
      assertArrayEquals(new float[] {15, 23}, r.outputs().get("xf").toFloatArray());
      assertArrayEquals(new float[] {14, 22}, r.layerOutputs().get("body_mul").toFloatArray());
      assertArrayEquals(new float[] {15, 23}, r.layerOutputs().get("body_add").toFloatArray());
      assertArrayEquals(new long[] {2}, r.layerOutputs().get("body_add").shape());
      assertEquals(m.run(loopInput(3), TapSelection.NONE).outputs(), r.outputs());
    }
  }

  @Test
  void aLoopThatRunsNoIterationLeavesItsBodyUntappedWithTheReason(@TempDir Path dir)
      throws IOException {
    try (ModelView m = new OnnxImporter().open(loopModel(dir))) {
      RunResult r = m.run(loopInput(0), TapSelection.of("body_mul", "L"));
      assertArrayEquals(new float[] {1, 2}, r.outputs().get("xf").toFloatArray());
      assertEquals(List.of("body_mul"), r.untapped());
      assertEquals(
          "not executed on this input: its Loop ran no iteration",
          r.untappedReasons().get("body_mul"));
      assertTrue(r.layerOutputs().containsKey("L"));
    }
  }
}
