package dev.portcheck.importers.tensorflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.WeightLayout;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every TensorFlow fixture of the manifest: layers, epsilons, kernels and numbers. */
class TfFixturesTest {

  static Stream<String> tensorflowFiles() {
    List<JsonNode> files = Fixtures.files(f -> "tensorflow".equals(f.path("framework").asText()));
    assertTrue(files.size() >= 16, "manifest lists " + files.size() + " TensorFlow files");
    return files.stream().map(f -> f.path("path").asText());
  }

  static Stream<String> kerasFiles() {
    return tensorflowFiles().filter(p -> !p.contains("onnx2tf"));
  }

  /** The Keras layer list of a file's family, from its clean SavedModel entry. */
  private static List<String> kerasLayers(JsonNode entry) {
    String family = entry.path("family").asText();
    return kerasLayerNames(Fixtures.file("models/" + family + "/" + family + ".keras.savedmodel"));
  }

  /** The Keras layers the generator recorded for one SavedModel, without the op-less input. */
  private static List<String> kerasLayerNames(JsonNode savedModel) {
    List<String> out = new ArrayList<>();
    savedModel.path("kerasLayers").forEach(n -> out.add(n.asText()));
    out.remove("input"); // the InputLayer has no op
    return out;
  }

  /** The manifest's planted bug whose files include {@code rel}, or null for a clean file. */
  private static JsonNode bugOf(String rel) {
    for (JsonNode b : Fixtures.manifest().path("bugs")) {
      for (JsonNode f : b.path("files")) {
        if (rel.equals(f.asText())) {
          return b;
        }
      }
    }
    return null;
  }

  /**
   * The layers a file must have: those of its family's correct port, except where the planted bug
   * is itself a change of structure (its manifest {@code kind}). Every other kind plants a wrong
   * value or option in the same layers, so those twins must list exactly the correct port's layers.
   */
  private static List<String> expectedKerasLayers(String rel) {
    List<String> layers = new ArrayList<>(kerasLayers(Fixtures.file(rel)));
    JsonNode bug = bugOf(rel);
    if (bug == null) {
      return layers;
    }
    JsonNode layer = bug.path("layer");
    switch (bug.path("kind").asText()) {
      // The port forgot the reference's activation: there is no Keras layer for it at all.
      case "missing_activation" ->
          assertTrue(layers.remove(layer.path("pytorch").asText()), bug.toString());
      // The correct port pads explicitly (ZeroPadding2D '<layer>.pad', then 'valid'); the bug
      // leaves the padding to TF's 'same', which pads differently, so it has no such layer.
      case "padding_same", "count_include_pad" ->
          assertTrue(layers.remove(layer.path("keras").asText() + ".pad"), bug.toString());
      default -> {}
    }
    return layers;
  }

  @ParameterizedTest
  @MethodSource("kerasFiles")
  void layersAreListedInKerasOrderUnderKerasNames(String rel) {
    try (ModelView v = Importers.open(Fixtures.path(rel))) {
      List<String> names = v.layers().stream().map(Layer::name).toList();
      List<String> keras = expectedKerasLayers(rel);
      JsonNode entry = Fixtures.file(rel);
      if (entry.has("kerasLayers")) {
        // The structural difference derived from the bug kind is the one the generator recorded.
        assertEquals(kerasLayerNames(entry), keras, rel + ": manifest kerasLayers");
      }
      assertEquals(keras.stream().sorted().toList(), names.stream().sorted().toList(), rel);
      // TF traces a ResNet shortcut (downsample.*) before the parallel conv2 of its block; both
      // are topological orders, so the main chain's order is what must match Keras' layer list.
      assertEquals(
          keras.stream().filter(n -> !n.contains("downsample")).toList(),
          names.stream().filter(n -> !n.contains("downsample")).toList(),
          rel);
      assertTrue(v.layers().stream().allMatch(Layer::tappable));
      JsonNode bug = bugOf(rel);
      if (bug != null && "missing_activation".equals(bug.path("kind").asText())) {
        // The forgotten layer's neighbours are joined directly (manifest kerasBefore/kerasAfter).
        JsonNode layer = bug.path("layer");
        int before = names.indexOf(layer.path("kerasBefore").asText());
        assertTrue(before >= 0, rel + " " + layer);
        assertEquals(layer.path("kerasAfter").asText(), names.get(before + 1), rel);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("tensorflowFiles")
  void runWithAllTapsReproducesTheReferenceOutput(String rel) {
    JsonNode entry = Fixtures.file(rel);
    Tensor input = Fixtures.npy(entry.path("referenceInputs").path("ones").asText());
    Tensor expected = Fixtures.npy(entry.path("reference").path("ones").asText());
    try (ModelView v = Importers.open(Fixtures.path(rel))) {
      assertEquals(entry.path("format").asText(), v.metadata().get("format"));
      String inName = v.inputs().get(0).name();
      assertEquals(entry.path("inputs").get(0).path("name").asText(), inName);
      RunResult r = v.run(Map.of(inName, input), TapSelection.ALL);
      assertEquals(v.layers().size(), r.layerOutputs().size(), "every layer tapped");
      assertTrue(r.untapped().isEmpty());
      String outName = entry.path("outputs").get(0).path("name").asText();
      Tensor out = r.outputs().get(outName);
      double diff = maxAbsDiff(expected, out);
      // Scaled with the outputs' magnitude for the large-value family (bigmag): see Fixtures.
      double tolerance = Fixtures.outputTolerance(entry.path("family").asText(), expected);
      assertTrue(diff < tolerance, rel + ": max abs diff " + diff + " >= " + tolerance);
      System.out.println("reference max abs diff " + rel + " " + diff);
    }
  }

  @ParameterizedTest
  @MethodSource("tensorflowFiles")
  void convolutionKernelsAreHwioAndDepthwiseHwim(String rel) {
    try (ModelView v = Importers.open(Fixtures.path(rel))) {
      int convs = 0;
      for (Layer l : v.layers()) {
        if (l.kind() != OpKind.CONV) {
          continue;
        }
        convs++;
        ParameterInfo w = v.parameters().get(l.parameters().get("weight"));
        WeightLayout want =
            "DepthwiseConv2dNative".equals(l.opType()) ? WeightLayout.HWIM : WeightLayout.HWIO;
        assertEquals(want, w.layout(), l.name());
        assertEquals(4, w.shape().size(), l.name());
        assertEquals(
            l.attribute("kernel_shape").orElseThrow().render(),
            List.of(w.shape().get(0), w.shape().get(1)).toString());
        assertEquals(Layout.NHWC, l.layout());
        Tensor values = v.parameter(w.name());
        assertEquals(w.elementCount(), values.size());
      }
      // Convolutions are expected exactly in the image models (NCHW/NHWC input); the transformer
      // (NTC) and mlp (NC, Linear layers only) have none.
      assertEquals(hasSpatialInput(rel), convs > 0, rel + " has " + convs + " convolutions");
    }
  }

  static Stream<String> epsilonFiles() {
    return kerasFiles().filter(p -> !p.contains("kernel_bug"));
  }

  @ParameterizedTest
  @MethodSource("epsilonFiles")
  void plantedEpsilonIsReadAsOneEMinus3AndEveryOtherNormAsOneEMinus5(String rel) {
    JsonNode entry = Fixtures.file(rel);
    String bugLayer = null;
    if ("eps_bug".equals(entry.path("variant").asText())) {
      for (JsonNode b : Fixtures.manifest().path("bugs")) {
        if (b.path("files").toString().contains("\"" + rel + "\"")) {
          bugLayer = b.path("layer").path("keras").asText();
        }
      }
      assertTrue(bugLayer != null, "bug entry for " + rel);
    }
    try (ModelView v = Importers.open(Fixtures.path(rel))) {
      int norms = 0;
      for (Layer l : v.layers()) {
        if (!l.kind().isNormalization()) {
          continue;
        }
        norms++;
        double want = l.name().equals(bugLayer) ? 1e-3 : 1e-5;
        assertEquals(want, l.epsilon().orElseThrow(), rel + " " + l.name());
      }
      if (hasNormalization(Fixtures.file(rel).path("family").asText())) {
        assertTrue(norms >= 2, rel + " has " + norms + " norm layers");
      } else {
        assertEquals(0, norms, rel + " has norm layers its reference lacks");
      }
      if (bugLayer != null) {
        assertEquals(1e-3, v.layer(bugLayer).orElseThrow().epsilon().orElseThrow());
      }
    }
  }

  /** Whether the file's (first) input is an image, channels-first or channels-last. */
  private static boolean hasSpatialInput(String rel) {
    String layout = Fixtures.file(rel).path("inputs").get(0).path("layout").asText();
    return List.of("NCHW", "NHWC").contains(layout);
  }

  /**
   * Whether the family's reference has normalization layers, as the manifest records it: a torch
   * ONNX export of the family that kept or folded BatchNorms, or a planted epsilon bug (the
   * transformer's LayerNorms, for which ONNX entries carry no flag). mlp has neither.
   */
  private static boolean hasNormalization(String family) {
    boolean batchNorm =
        !Fixtures.files(
                f ->
                    family.equals(f.path("family").asText())
                        && "onnx".equals(f.path("framework").asText())
                        && f.path("exporter").asText().startsWith("torch.onnx")
                        && (f.path("hasBatchNormalization").asBoolean(false)
                            || f.path("bnFolded").asBoolean(false)))
            .isEmpty();
    boolean epsilonBug = false;
    for (JsonNode b : Fixtures.manifest().path("bugs")) {
      epsilonBug |=
          family.equals(b.path("family").asText()) && "epsilon".equals(b.path("kind").asText());
    }
    return batchNorm || epsilonBug;
  }

  static Stream<String> intermediateFiles() {
    return kerasFiles().filter(p -> !p.contains("_bug"));
  }

  @ParameterizedTest
  @MethodSource("intermediateFiles")
  void tappedIntermediatesEqualTheGeneratorsTorchHooks(String rel) {
    JsonNode entry = Fixtures.file(rel);
    Tensor input = Fixtures.npy(entry.path("referenceInputs").path("ones").asText());
    int checked = 0;
    try (ModelView v = Importers.open(Fixtures.path(rel))) {
      for (JsonNode im : Fixtures.manifest().path("intermediates")) {
        if (!im.path("family").asText().equals(entry.path("family").asText())) {
          continue;
        }
        String layer = im.path("layer").path("keras").asText();
        RunResult r = v.run(Map.of(v.inputs().get(0).name(), input), TapSelection.of(layer));
        Tensor got = r.layerOutputs().get(layer);
        Tensor want = Fixtures.npy(im.path("path").asText());
        if ("NCHW".equals(im.path("layout").asText())) {
          want = want.transpose(0, 2, 3, 1);
        }
        double diff = maxAbsDiff(want, got);
        assertTrue(diff < 1e-4, rel + " " + layer + ": max abs diff " + diff);
        System.out.println("intermediate max abs diff " + rel + " " + layer + " " + diff);
        checked++;
      }
    }
    assertEquals(2, checked, rel);
  }

  @ParameterizedTest
  @MethodSource("kerasFiles")
  void normalizationParametersCarryRolesAndKerasVariableNames(String rel) {
    try (ModelView v = Importers.open(Fixtures.path(rel))) {
      Layer bn =
          v.layers().stream().filter(l -> l.kind() == OpKind.BATCH_NORM).findFirst().orElse(null);
      if (bn != null) {
        assertEquals(
            List.of("scale", "offset", "mean", "variance"), List.copyOf(bn.parameters().keySet()));
        if (rel.contains("savedmodel")) {
          assertEquals(bn.name() + "/moving_variance", bn.parameters().get("variance"));
        }
      }
      assertFalse(v.parameters().isEmpty());
    }
  }

  static double maxAbsDiff(Tensor a, Tensor b) {
    assertEquals(List.of(box(a.shape())), List.of(box(b.shape())), "shapes");
    double m = 0;
    for (int i = 0; i < a.size(); i++) {
      m = Math.max(m, Math.abs(a.getFloat(i) - b.getFloat(i)));
    }
    return m;
  }

  private static List<Long> box(long[] s) {
    List<Long> l = new ArrayList<>();
    for (long d : s) {
      l.add(d);
    }
    return l;
  }

  /**
   * Keras' {@code Softmax(axis=1)} runs as TF's last-axis Softmax between two Transposes whose
   * permutation is built at run time; the axis is read from it. The default axis is the last.
   */
  @Test
  void softmaxAxisIsReadFromTheSwapAroundTheLastAxisOp() {
    try (ModelView v =
        Importers.open(Fixtures.path("models/softmax/softmax.axis_bug.keras.savedmodel"))) {
      assertEquals(
          AttributeValue.of(1L), v.layer("softmax").orElseThrow().attributes().get("axis"));
    }
    try (ModelView v = Importers.open(Fixtures.path("models/softmax/softmax.keras.savedmodel"))) {
      assertEquals(
          AttributeValue.of(-1L), v.layer("softmax").orElseThrow().attributes().get("axis"));
    }
  }
}
