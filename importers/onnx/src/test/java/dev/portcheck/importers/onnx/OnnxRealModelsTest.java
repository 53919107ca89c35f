package dev.portcheck.importers.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.api.WeightLayout;
import dev.portcheck.importers.api.testing.Fixtures;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The three third-party ONNX files in fixtures/thirdparty (counts verified with onnx 1.17). */
class OnnxRealModelsTest {
  private final OnnxImporter importer = new OnnxImporter();

  private ModelView open(String name) {
    Path p = Fixtures.realModel(name);
    assertTrue(importer.canOpen(p), name + " recognised by content");
    return importer.open(p);
  }

  @Test
  void rfbInitializersListedAsGraphInputsAreNotModelInputs() {
    try (ModelView m = open("version-RFB-320.onnx")) {
      assertEquals(1, m.inputs().size());
      TensorInfo in = m.inputs().get(0);
      assertEquals("input", in.name());
      assertEquals(DType.FLOAT32, in.dtype());
      assertEquals(List.of(1L, 3L, 240L, 320L), in.shape());
      assertEquals(Layout.NCHW, in.layout());
      assertEquals(List.of("scores", "boxes"), m.outputs().stream().map(TensorInfo::name).toList());
      assertEquals(List.of(1L, 4420L, 2L), m.outputs().get(0).shape());
      assertEquals("pytorch", m.metadata().get("producer_name"));
      assertEquals("1.2", m.metadata().get("producer_version"));
      assertEquals("4", m.metadata().get("ir_version"));
      assertEquals("ai.onnx:9", m.metadata().get("opsets"));
    }
  }

  @Test
  void rfbNamelessNodesGetUniqueSyntheticNamesInFileOrder() {
    try (ModelView m = open("version-RFB-320.onnx")) {
      List<Layer> layers = m.layers();
      assertEquals(242, layers.size());
      Set<String> names = new HashSet<>();
      layers.forEach(l -> names.add(l.name()));
      assertEquals(242, names.size(), "names are unique");
      assertEquals("Conv_0", layers.get(0).name());
      assertEquals("BatchNormalization_1", layers.get(1).name());
      assertEquals(List.of("245"), layers.get(0).outputs());
      assertTrue(layers.stream().allMatch(Layer::tappable));
      assertTrue(layers.stream().allMatch(l -> l.parent() == null));
    }
  }

  @Test
  void rfbHas35BatchNormsWithEpsilonAndStateDictParameters() {
    try (ModelView m = open("version-RFB-320.onnx")) {
      List<Layer> bns = m.layers().stream().filter(l -> l.kind() == OpKind.BATCH_NORM).toList();
      assertEquals(35, bns.size());
      for (Layer bn : bns) {
        assertEquals(1e-5, bn.epsilon().orElseThrow(), 0.0, bn.name());
        assertEquals(Layout.NCHW, bn.layout());
      }
      Layer first = bns.get(0);
      assertEquals(
          Map.of(
              "scale", "base_net.0.1.weight",
              "offset", "base_net.0.1.bias",
              "mean", "base_net.0.1.running_mean",
              "variance", "base_net.0.1.running_var"),
          first.parameters());
      ParameterInfo var = m.parameters().get("base_net.0.1.running_var");
      assertEquals(List.of(16L), var.shape());
      assertEquals(WeightLayout.VECTOR, var.layout());
      ParameterInfo w = m.parameters().get("base_net.0.0.weight");
      assertEquals(List.of(16L, 3L, 3L, 3L), w.shape());
      assertEquals(WeightLayout.OIHW, w.layout());
      Layer conv = m.layers().get(0);
      assertEquals(Map.of("weight", "base_net.0.0.weight"), conv.parameters());
      assertEquals("[2, 2]", conv.attribute("strides").orElseThrow().render());
      assertEquals("[1, 1, 1, 1]", conv.attribute("pads").orElseThrow().render());
      Tensor v = m.parameter("base_net.0.1.running_var");
      assertEquals(16, v.size());
      for (int i = 0; i < v.size(); i++) {
        assertTrue(v.getFloat(i) > 0, "running variance is positive");
      }
    }
  }

  @Test
  void rfbRunsWithEveryLayerTappedAndScoresAreSoftmaxed() {
    try (ModelView m = open("version-RFB-320.onnx")) {
      RunResult r =
          m.run(
              Map.of("input", Tensor.filled(new long[] {1, 3, 240, 320}, 0.5f)), TapSelection.ALL);
      assertEquals(242, r.layerOutputs().size());
      assertTrue(r.untapped().isEmpty());
      Tensor scores = r.outputs().get("scores");
      assertEquals(List.of(1L, 4420L, 2L), toList(scores.shape()));
      for (int i = 0; i < 4420; i++) {
        assertEquals(1.0, scores.getFloat(2 * i) + scores.getFloat(2 * i + 1), 1e-5);
      }
      // The model output is also the last Softmax layer's output: one tensor, not a duplicate.
      Layer softmax =
          m.layers().stream().filter(l -> l.kind() == OpKind.SOFTMAX).findFirst().orElseThrow();
      assertEquals(scores, r.layerOutputs().get(softmax.name()));
      assertEquals(List.of(1L, 16L, 120L, 160L), toList(r.layerOutputs().get("Conv_0").shape()));
    }
  }

  @Test
  void simplifiedRfbHasNoBatchNormalization() {
    try (ModelView m = open("version-RFB-320_simplified.onnx")) {
      assertEquals(110, m.layers().size());
      assertEquals(52, m.layers().stream().filter(l -> l.kind() == OpKind.CONV).count());
      assertFalse(m.layers().stream().anyMatch(l -> l.kind() == OpKind.BATCH_NORM));
      assertEquals(1, m.inputs().size());
      Layer conv = m.layers().get(0);
      assertEquals(Map.of("weight", "487", "bias", "489"), conv.parameters());
      assertEquals(List.of(16L, 3L, 3L, 3L), m.parameters().get("487").shape());
    }
  }

  @Test
  void sileroIfBranchNodesAreListedAfterTheirParent() {
    try (ModelView m = open("silero_vad.onnx")) {
      List<Layer> layers = m.layers();
      assertEquals(5 + 684, layers.size());
      assertEquals(5, layers.stream().filter(l -> l.parent() == null).count());
      int ifIndex = -1;
      for (int i = 0; i < layers.size(); i++) {
        if (layers.get(i).name().equals("If_0")) {
          ifIndex = i;
        }
      }
      Layer ifNode = layers.get(ifIndex);
      assertEquals(OpKind.CONTAINER, ifNode.kind());
      assertTrue(ifNode.tappable());
      assertNull(ifNode.parent());
      Layer firstChild = layers.get(ifIndex + 1);
      assertEquals("If_0", firstChild.parent());
      // Tappable on inputs that take its branch (see OnnxControlFlowTest), and says so.
      assertTrue(firstChild.tappable());
      assertTrue(firstChild.note().startsWith("in the "), firstChild.note());
      assertEquals(layers.size(), layers.stream().map(Layer::name).distinct().count());
      assertEquals(
          List.of("input", "state", "sr"), m.inputs().stream().map(TensorInfo::name).toList());
      assertEquals(List.of(-1L, -1L), m.inputs().get(0).shape());
      assertEquals(List.of(2L, -1L, 128L), m.inputs().get(1).shape());
      assertEquals(DType.INT64, m.inputs().get(2).dtype());
      assertEquals(List.of(), m.inputs().get(2).shape());
      assertEquals("spox", m.metadata().get("producer_name"));
      assertEquals("ai.onnx:16", m.metadata().get("opsets"));
    }
  }

  @Test
  void sileroRunsAndReturnsASpeechProbability() {
    try (ModelView m = open("silero_vad.onnx")) {
      float[] audio = new float[576];
      for (int i = 0; i < audio.length; i++) {
        audio[i] = (float) (0.3 * Math.sin(i * 0.07));
      }
      Map<String, Tensor> in =
          Map.of(
              "input", Tensor.ofFloats(new long[] {1, 576}, audio),
              "state", Tensor.filled(new long[] {2, 1, 128}, 0f),
              "sr", Tensor.ofLongs(DType.INT64, new long[] {}, new long[] {16000}));
      // The first node listed under If_0 belongs to its else_branch (8 kHz): not run on 16 kHz.
      String child = m.layers().get(3).name();
      RunResult r = m.run(in, TapSelection.of("If_0", child));
      float p = r.outputs().get("output").getFloat(0);
      assertTrue(p >= 0f && p <= 1f, "probability " + p);
      assertEquals(List.of(2L, 1L, 128L), toList(r.outputs().get("stateN").shape()));
      assertEquals(Set.of("If_0"), r.layerOutputs().keySet());
      assertEquals(List.of(child), r.untapped());
      assertEquals(
          "not executed on this input: If 'If_0' took its then_branch",
          r.untappedReasons().get(child));
      assertEquals(p, r.layerOutputs().get("If_0").getFloat(0));
    }
  }

  static List<Long> toList(long[] a) {
    return java.util.Arrays.stream(a).boxed().toList();
  }
}
