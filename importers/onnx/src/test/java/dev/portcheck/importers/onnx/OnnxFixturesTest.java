package dev.portcheck.importers.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.api.testing.Fixtures;
import dev.portcheck.importers.onnx.proto.GraphProto;
import dev.portcheck.importers.onnx.proto.ModelProto;
import dev.portcheck.importers.onnx.proto.NodeProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every ONNX file in fixtures/manifest.json, checked against what the generator recorded. */
class OnnxFixturesTest {
  private static final double TOLERANCE = 1e-4;
  private final OnnxImporter importer = new OnnxImporter();

  static Stream<String> onnxFiles() {
    List<String> paths = new ArrayList<>();
    Fixtures.files(f -> "onnx".equals(f.path("framework").asText()))
        .forEach(f -> paths.add(f.path("path").asText()));
    assertFalse(paths.isEmpty(), "the manifest lists ONNX fixtures");
    return paths.stream();
  }

  @ParameterizedTest
  @MethodSource("onnxFiles")
  void loadsWithEveryNodeAsALayerInFileOrder(String rel) throws IOException {
    Path p = Fixtures.path(rel);
    assertTrue(importer.canOpen(p));
    ModelProto raw = ModelProto.parseFrom(Files.readAllBytes(p));
    List<String> nodeOps = new ArrayList<>();
    collectOps(raw.getGraph(), nodeOps);
    JsonNode entry = Fixtures.file(rel);
    try (ModelView m = importer.open(p)) {
      assertEquals(nodeOps, m.layers().stream().map(Layer::opType).toList());
      List<String> declared = new ArrayList<>();
      entry.path("inputs").forEach(i -> declared.add(i.path("name").asText()));
      assertEquals(declared, m.inputs().stream().map(TensorInfo::name).toList());
      List<Long> shape = new ArrayList<>();
      entry.path("inputs").get(0).path("shape").forEach(d -> shape.add(d.asLong()));
      assertEquals(shape, m.inputs().get(0).shape());
      assertEquals(
          entry.path("hasBatchNormalization").asBoolean(),
          m.layers().stream().anyMatch(l -> l.kind() == OpKind.BATCH_NORM));
      assertTrue(m.metadata().get("opsets").contains("ai.onnx:" + entry.path("opset").asInt()));
    }
  }

  private static void collectOps(GraphProto g, List<String> out) {
    for (NodeProto n : g.getNodeList()) {
      out.add(n.getOpType());
      OnnxGraphReader.subgraphs(n).forEach(s -> collectOps(s, out));
    }
  }

  @ParameterizedTest
  @MethodSource("onnxFiles")
  void runWithAllTapsReproducesTheReferenceOutput(String rel) {
    JsonNode entry = Fixtures.file(rel);
    Tensor x = Fixtures.npy(entry.path("referenceInputs").path("ones").asText());
    Tensor expected = Fixtures.npy(entry.path("reference").path("ones").asText());
    try (ModelView m = importer.open(Fixtures.path(rel))) {
      String in = m.inputs().get(0).name();
      RunResult r = m.run(Map.of(in, x), TapSelection.ALL);
      Tensor actual = r.outputs().get(m.outputs().get(0).name());
      assertArrayEquals(expected.shape(), actual.shape());
      double diff = maxAbsDiff(expected, actual);
      System.out.println(rel + " max|diff| vs reference = " + diff);
      // Scaled with the outputs' magnitude for the large-value family (bigmag): see Fixtures.
      double tolerance = Fixtures.outputTolerance(entry.path("family").asText(), expected);
      assertTrue(diff < tolerance, rel + ": " + diff + " >= " + tolerance);
      long tappable = m.layers().stream().filter(Layer::tappable).count();
      assertEquals(tappable, r.layerOutputs().size());
    }
  }

  @Test
  void cnnNodeCountsMatchTheExporters() {
    assertEquals(10, layerCount("models/cnn/cnn.bn.onnx")); // Conv BN Relu x2, pools, Flatten, Gemm
    assertEquals(8, layerCount("models/cnn/cnn.folded.onnx")); // BN folded into Conv
    assertEquals(9, layerCount("models/cnn/cnn.keras.tf2onnx.onnx")); // + NHWC->NCHW Transpose
  }

  private int layerCount(String rel) {
    try (ModelView m = importer.open(Fixtures.path(rel))) {
      return m.layers().size();
    }
  }

  @Test
  void bnKeptExportHasNamedParametersAndCanonicalAttributes() {
    try (ModelView m = importer.open(Fixtures.path("models/cnn/cnn.bn.onnx"))) {
      Layer bn = m.layer("/bn1/BatchNormalization").orElseThrow();
      assertEquals("bn1.running_var", bn.parameters().get("variance"));
      assertEquals(1e-5, bn.epsilon().orElseThrow(), 0.0);
      assertTrue(bn.attribute("momentum").isPresent());
      Layer fc = m.layer("/fc/Gemm").orElseThrow();
      assertEquals("fc.weight", fc.parameters().get("weight"));
      assertEquals(
          dev.portcheck.importers.api.WeightLayout.OI, m.parameters().get("fc.weight").layout());
      assertEquals(
          dev.portcheck.importers.api.WeightLayout.OIHW,
          m.parameters().get("conv1.weight").layout());
    }
  }

  @Test
  void tappedIntermediatesEqualTheTorchForwardHooks() {
    int compared = 0;
    for (JsonNode inter : Fixtures.manifest().path("intermediates")) {
      JsonNode onnx = inter.path("layer").path("onnx");
      String layer = onnx.path("node").asText();
      Tensor expected = Fixtures.npy(inter.path("path").asText());
      JsonNode f = Fixtures.file(onnx.path("file").asText());
      try (ModelView m = importer.open(Fixtures.path(f.path("path").asText()))) {
        Tensor x =
            Fixtures.npy(f.path("referenceInputs").path(inter.path("input").asText()).asText());
        RunResult r = m.run(Map.of(m.inputs().get(0).name(), x), TapSelection.of(layer));
        Tensor actual = r.layerOutputs().get(layer);
        assertArrayEquals(expected.shape(), actual.shape(), layer);
        assertTrue(
            maxAbsDiff(expected, actual) < TOLERANCE, layer + " " + maxAbsDiff(expected, actual));
        compared++;
      }
    }
    assertTrue(compared >= 8, "compared " + compared + " intermediates");
  }

  @Test
  void plantedEpsilonIsReadAsOneEMinus3() {
    int checked = 0;
    for (JsonNode bug : Fixtures.manifest().path("bugs")) {
      if (!"epsilon".equals(bug.path("kind").asText())) {
        continue;
      }
      double expected = bug.path("finding").path("expected").asDouble();
      double actual = bug.path("finding").path("actual").asDouble();
      for (JsonNode file : bug.path("files")) {
        String rel = file.asText();
        JsonNode entry = Fixtures.file(rel);
        // tf2onnx folds BatchNorm into the Conv and spells LayerNorm out as moments/Add/Rsqrt:
        // there the epsilon is a constant inside weights or an Add, not a node attribute.
        if (!"onnx".equals(entry.path("framework").asText())
            || "tf2onnx".equals(entry.path("exporter").asText())) {
          continue;
        }
        String planted = bug.path("layer").path("onnx").asText();
        try (ModelView m = importer.open(Fixtures.path(rel))) {
          List<Layer> bns = m.layers().stream().filter(l -> l.kind().isNormalization()).toList();
          assertTrue(bns.size() >= 2, rel);
          for (Layer bn : bns) {
            double want = bn.name().equals(planted) ? actual : expected;
            assertEquals(want, bn.epsilon().orElseThrow(), 0.0, rel + " " + bn.name());
          }
          assertEquals(1e-3, m.layer(planted).orElseThrow().epsilon().orElseThrow(), 0.0);
          checked++;
        }
      }
    }
    assertTrue(checked >= 1, "the manifest plants an epsilon bug in a BN-kept ONNX file");
  }

  static double maxAbsDiff(Tensor a, Tensor b) {
    assertEquals(a.size(), b.size());
    double d = 0;
    for (int i = 0; i < a.size(); i++) {
      d = Math.max(d, Math.abs(a.getFloat(i) - b.getFloat(i)));
    }
    return d;
  }
}
