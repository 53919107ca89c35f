package dev.portcheck.importers.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
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
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs in place when an output's shape follows the input values rather than its shape. */
class OnnxRunInPlaceTest {
  private static TypeProto floats(long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(
          d < 0
              ? TensorShapeProto.Dimension.newBuilder().setDimParam("k")
              : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))
        .build();
  }

  /** y = Compress(r, r > 0) with r = Relu(x) * 2: y has as many elements as x has positives. */
  private static Path positivesModel(Path dir) throws IOException {
    TensorProto zero =
        TensorProto.newBuilder().setName("zero").setDataType(1).addFloatData(0).build();
    TensorProto two =
        TensorProto.newBuilder().setName("two").setDataType(1).addFloatData(2).build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("positives")
            .addNode(
                NodeProto.newBuilder()
                    .setName("relu")
                    .setOpType("Relu")
                    .addInput("x")
                    .addOutput("h"))
            .addNode(
                NodeProto.newBuilder()
                    .setName("double")
                    .setOpType("Mul")
                    .addInput("h")
                    .addInput("two")
                    .addOutput("r"))
            .addNode(
                NodeProto.newBuilder()
                    .setName("positive")
                    .setOpType("Greater")
                    .addInput("r")
                    .addInput("zero")
                    .addOutput("c"))
            .addNode(
                NodeProto.newBuilder()
                    .setName("compress")
                    .setOpType("Compress")
                    .addInput("r")
                    .addInput("c")
                    .addOutput("y")
                    .addAttribute(
                        AttributeProto.newBuilder()
                            .setName("axis")
                            .setType(AttributeProto.AttributeType.INT)
                            .setI(0)))
            .addInitializer(zero)
            .addInitializer(two)
            .addInput(ValueInfoProto.newBuilder().setName("x").setType(floats(4)))
            .addOutput(ValueInfoProto.newBuilder().setName("y").setType(floats(-1)))
            .build();
    ModelProto m =
        ModelProto.newBuilder()
            .setIrVersion(8)
            .setProducerName("portcheck-test")
            .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17))
            .setGraph(g)
            .build();
    Path p = dir.resolve("positives.onnx");
    Files.write(p, m.toByteArray());
    return p;
  }

  @Test
  void anOutputWhoseSizeFollowsTheValuesFallsBackToCopiesWithTheRightValues(@TempDir Path dir)
      throws IOException {
    try (ModelView m = new OnnxImporter().open(positivesModel(dir))) {
      Map<String, Tensor> allPositive =
          Map.of("x", Tensor.ofFloats(new long[] {4}, new float[] {1, 2, 3, 4}));
      Map<String, Tensor> twoPositive =
          Map.of("x", Tensor.ofFloats(new long[] {4}, new float[] {1, -2, 3, -4}));
      m.runInPlace(allPositive, TapSelection.ALL);
      RunResult pinned = m.runInPlace(allPositive, TapSelection.ALL);
      assertTrue(pinned.outputs().get("y").isView());
      assertArrayEquals(new float[] {2, 4, 6, 8}, pinned.outputs().get("y").toFloatArray());
      // Four buffered elements no longer fit two: the run is redone with copies, not refused.
      RunResult fewer = m.runInPlace(twoPositive, TapSelection.ALL);
      assertFalse(fewer.outputs().get("y").isView());
      assertArrayEquals(new float[] {2, 6}, fewer.outputs().get("y").toFloatArray());
      assertEquals(m.run(twoPositive, TapSelection.ALL).layerOutputs(), fewer.layerOutputs());
      RunResult again = m.runInPlace(allPositive, TapSelection.ALL);
      assertArrayEquals(new float[] {2, 4, 6, 8}, again.outputs().get("y").toFloatArray());
    }
  }
}
