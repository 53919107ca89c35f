package dev.portcheck.importers.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.Npy;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PtScriptViewTest {

  static double maxAbsDiff(Tensor a, Tensor b) {
    assertTrue(
        Arrays.equals(a.shape(), b.shape()),
        Arrays.toString(a.shape()) + " vs " + Arrays.toString(b.shape()));
    double m = 0;
    for (int i = 0; i < a.size(); i++) {
      m = Math.max(m, Math.abs(a.getFloat(i) - b.getFloat(i)));
    }
    return m;
  }

  static Path resource(String name) {
    try {
      return Path.of(PtScriptViewTest.class.getResource("/scripted/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void tracedCnnListsItsModuleTreeInDefinitionOrder() {
    try (ModelView v = Importers.open(Fixtures.path("models/cnn/cnn.torchscript.pt"))) {
      assertEquals(Framework.PYTORCH, v.framework());
      assertEquals(
          List.of("conv1", "bn1", "relu1", "pool", "conv2", "bn2", "relu2", "avgpool", "fc"),
          v.layers().stream().map(Layer::name).toList());
      Layer bn1 = v.layer("bn1").orElseThrow();
      assertEquals("torch.nn.BatchNorm2d", bn1.opType());
      assertEquals(OpKind.BATCH_NORM, bn1.kind());
      assertEquals(
          Map.of(
              "scale", "bn1.weight",
              "offset", "bn1.bias",
              "mean", "bn1.running_mean",
              "variance", "bn1.running_var"),
          bn1.parameters());
      assertEquals(OpKind.CONV, v.layer("conv1").orElseThrow().kind());
      assertEquals(OpKind.LINEAR, v.layer("fc").orElseThrow().kind());
      assertEquals(List.of(8L), v.parameters().get("bn1.running_var").shape());
      assertEquals("x", v.inputs().get(0).name());
      assertNull(v.inputs().get(0).shape());
    }
  }

  @Test
  void batchNormEpsilonIsReadFromTracedCodeAsOneEMinus5() {
    try (ModelView v = Importers.open(Fixtures.path("models/cnn/cnn.torchscript.pt"))) {
      assertEquals(1e-5, v.layer("bn1").orElseThrow().epsilon().orElseThrow());
      assertEquals(1e-5, v.layer("bn2").orElseThrow().epsilon().orElseThrow());
      assertEquals(
          new AttributeValue.Float(0.1), v.layer("bn2").orElseThrow().attributes().get("momentum"));
      Layer conv1 = v.layer("conv1").orElseThrow();
      assertEquals(AttributeValue.ints(List.of(1L, 1L)), conv1.attributes().get("strides"));
      assertEquals(AttributeValue.ints(List.of(1L, 1L, 1L, 1L)), conv1.attributes().get("pads"));
      assertEquals(AttributeValue.of(1L), conv1.attributes().get("group"));
    }
  }

  @Test
  void poolRoundingDivisorAndUpsampleCoordinatesAreReadFromTheAtenCalls() {
    try (ModelView v = Importers.open(Fixtures.path("models/pooling/pooling.torchscript.pt"))) {
      // max_pool2d(..., True): ceil_mode given; avg_pool2d's dropped trailing defaults restored.
      Layer pool1 = v.layer("pool1").orElseThrow();
      assertEquals(AttributeValue.of(1L), pool1.attributes().get("ceil_mode"));
      Layer pool2 = v.layer("pool2").orElseThrow();
      assertEquals(AttributeValue.of(0L), pool2.attributes().get("ceil_mode"));
      assertEquals(AttributeValue.of(1L), pool2.attributes().get("count_include_pad"));
    }
    try (ModelView v = Importers.open(Fixtures.path("models/resize/resize.torchscript.pt"))) {
      Layer up = v.layer("up").orElseThrow();
      assertEquals(OpKind.RESIZE, up.kind());
      assertEquals(AttributeValue.of("linear"), up.attributes().get("mode"));
      assertEquals(
          AttributeValue.of("half_pixel"), up.attributes().get("coordinate_transformation_mode"));
    }
  }

  @Test
  void plantedEpsilonIsReadAsOneEMinus3() {
    for (JsonNode bug : Fixtures.manifest().path("bugs")) {
      if (!bug.path("kind").asText().equals("epsilon")) {
        continue;
      }
      String file = null;
      for (JsonNode f : bug.path("files")) {
        if (f.asText().endsWith(".torchscript.pt")) {
          file = f.asText();
        }
      }
      if (file == null || !Fixtures.path(file).toFile().exists()) {
        continue;
      }
      String layer = bug.path("layer").path("pytorch").asText();
      double expected = bug.path("finding").path("actual").asDouble();
      try (ModelView v = Importers.open(Fixtures.path(file))) {
        assertEquals(expected, v.layer(layer).orElseThrow().epsilon().orElseThrow(), file);
        for (Layer l : v.layers()) {
          if (l.kind().isNormalization() && !l.name().equals(layer)) {
            assertEquals(1e-5, l.epsilon().orElseThrow(), file + " " + l.name());
          }
        }
      }
    }
  }

  @Test
  void tracedFixturesRunWithAllTapsEqualReferenceOutputAndIntermediates() {
    int checked = 0;
    for (JsonNode f : Fixtures.files(n -> n.path("format").asText().equals("torchscript"))) {
      Path p = Fixtures.path(f.path("path").asText());
      if (!p.toFile().exists()) {
        continue;
      }
      Tensor ones = Fixtures.npy(f.path("referenceInputs").path("ones").asText());
      Tensor ref = Fixtures.npy(f.path("reference").path("ones").asText());
      try (ModelView v = Importers.open(p)) {
        RunResult all = v.run(Map.of("x", ones), TapSelection.ALL);
        assertTrue(maxAbsDiff(all.outputs().get("output"), ref) < 1e-4, p.toString());
        assertEquals(
            v.layers().stream().filter(Layer::tappable).count(),
            all.layerOutputs().size(),
            p.toString());
        RunResult plain = v.run(Map.of("x", ones), TapSelection.NONE);
        assertTrue(maxAbsDiff(plain.outputs().get("output"), ref) < 1e-4);
        assertTrue(plain.layerOutputs().isEmpty());
        if (f.path("variant").asText().equals("clean")) {
          for (JsonNode im : Fixtures.manifest().path("intermediates")) {
            if (im.path("family").asText().equals(f.path("family").asText())) {
              String layer = im.path("layer").path("pytorch").asText();
              Tensor expected = Fixtures.npy(im.path("path").asText());
              Tensor got = all.layerOutputs().get(layer);
              assertNotNull(got, layer);
              assertTrue(maxAbsDiff(got, expected) < 1e-4, p + " " + layer);
              checked++;
            }
          }
        }
      }
    }
    assertTrue(checked >= 2, "intermediates checked: " + checked);
  }

  @Test
  void scriptedModelReadsFinalEpsilonAndRecordsNestedModules() {
    try (ModelView v = Importers.open(resource("scripted_net.pt"))) {
      assertEquals(
          List.of(
              "stem",
              "body",
              "body.0",
              "body.0.conv",
              "body.0.bn",
              "body.0.act",
              "body.1",
              "body.1.conv",
              "body.1.bn",
              "body.1.act",
              "norm",
              "head"),
          v.layers().stream().map(Layer::name).toList());
      assertEquals(1e-3, v.layer("body.0.bn").orElseThrow().epsilon().orElseThrow());
      assertEquals(1e-6, v.layer("norm").orElseThrow().epsilon().orElseThrow());
      assertEquals(OpKind.RELU6, v.layer("body.0.act").orElseThrow().kind());
      assertEquals(
          AttributeValue.of(4L), v.layer("body.0.conv").orElseThrow().attributes().get("group"));
      assertEquals(
          AttributeValue.ints(List.of(2L, 2L)),
          v.layer("stem").orElseThrow().attributes().get("strides"));
      Tensor ones = Tensor.filled(new long[] {1, 3, 8, 8}, 1f);
      RunResult r = v.run(Map.of("x", ones), TapSelection.ALL);
      assertTrue(maxAbsDiff(r.outputs().get("output"), Npy.read(resource("ones.out.npy"))) < 1e-5);
      assertTrue(
          maxAbsDiff(r.layerOutputs().get("body.0.bn"), Npy.read(resource("ones.body.0.bn.npy")))
              < 1e-5);
      assertTrue(
          maxAbsDiff(r.layerOutputs().get("body"), Npy.read(resource("ones.body.npy"))) < 1e-5);
      assertTrue(r.untapped().isEmpty(), r.untapped().toString());
      RunResult one = v.run(Map.of("x", ones), TapSelection.of("head"));
      assertEquals(List.of("head"), List.copyOf(one.layerOutputs().keySet()));
    }
  }

  @Test
  void sileroVadOpensListsSubmodulesAndReturnsAProbability() {
    Path p = Fixtures.realModel("silero_vad.jit");
    try (ModelView v = Importers.open(p)) {
      List<String> names = v.layers().stream().map(Layer::name).toList();
      assertTrue(names.contains("_model.stft"), names.toString());
      assertTrue(names.contains("_model.encoder.0.reparam_conv"), names.toString());
      assertTrue(names.contains("_model.decoder.rnn"), names.toString());
      assertEquals(OpKind.LSTM, v.layer("_model.decoder.rnn").orElseThrow().kind());
      assertEquals(List.of("x", "sr"), v.inputs().stream().map(i -> i.name()).toList());
      Tensor x = sine(512);
      Tensor sr =
          Tensor.ofLongs(
              dev.portcheck.importers.api.DType.INT64, new long[] {}, new long[] {16000});
      RunResult plain = v.run(Map.of("x", x, "sr", sr), TapSelection.NONE);
      float prob = plain.outputs().get("output").getFloat(0);
      assertTrue(prob >= 0 && prob <= 1, "probability " + prob);
      RunResult again = v.run(Map.of("x", x, "sr", sr), TapSelection.NONE);
      assertEquals(
          prob, again.outputs().get("output").getFloat(0), 0f, "state is reset between runs");
      RunResult tapped = v.run(Map.of("x", x, "sr", sr), TapSelection.ALL);
      assertEquals(prob, tapped.outputs().get("output").getFloat(0), 1e-6f);
      assertNotNull(tapped.layerOutputs().get("_model.stft"));
      assertNotNull(tapped.layerOutputs().get("_model.decoder.rnn"));
      assertTrue(tapped.untapped().contains("_model_8k.stft"), tapped.untapped().toString());
      assertFalse(tapped.layerOutputs().containsKey("_model_8k.stft"));
    }
  }

  static Tensor sine(int n) {
    float[] d = new float[n];
    for (int i = 0; i < n; i++) {
      d[i] = (float) (0.5 * Math.sin(2 * Math.PI * 440 * i / 16000.0));
    }
    return Tensor.ofFloats(new long[] {1, n}, d);
  }
}
