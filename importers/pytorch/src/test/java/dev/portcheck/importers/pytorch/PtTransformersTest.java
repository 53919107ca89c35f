package dev.portcheck.importers.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.PortcheckException;
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

/**
 * Hugging Face models traced to TorchScript: modules called inside other modules and children of a
 * ModuleList are tapped, HF Conv1D is a dense layer with an [in, out] weight, token-id inputs are
 * typed as integers, and what cannot be tapped says why.
 */
class PtTransformersTest {
  private static final String BERT = "models/bert/bert.torchscript.pt";
  private static final String GPT2 = "models/gpt2/gpt2.torchscript.pt";

  static Stream<String> files() {
    return Fixtures.transformerFiles(f -> "torchscript".equals(f.path("format").asText())).stream()
        .map(f -> f.path("path").asText());
  }

  @ParameterizedTest
  @MethodSource("files")
  void everyModuleWithAForwardIsTappedAndTheLogitsAreTheReference(String rel) {
    JsonNode entry = Fixtures.transformerFile(rel);
    try (ModelView v = Importers.open(Fixtures.path(rel))) {
      List<String> modules = new ArrayList<>();
      entry.path("torchModules").forEach(m -> modules.add(m.path("name").asText()));
      assertEquals(modules, v.layers().stream().map(Layer::name).toList());
      for (String probe : List.of("ones", "random")) {
        RunResult r = v.run(Fixtures.transformerInputs(entry, probe), TapSelection.ALL);
        Tensor want = Fixtures.npy(entry.path("reference").path(probe).asText());
        assertEquals(want, r.outputs().get("output_0"), rel + " " + probe);
        // Only the ModuleList (no forward of its own) is not tapped, and it says why.
        List<String> lists =
            v.layers().stream()
                .filter(l -> l.opType().equals("torch.nn.ModuleList"))
                .map(Layer::name)
                .toList();
        assertEquals(1, lists.size());
        assertEquals(lists, r.untapped());
        assertEquals(v.layers().size() - 1, r.layerOutputs().size());
        assertTrue(
            r.untappedReasons().get(lists.get(0)).contains("has no forward of its own"),
            r.untappedReasons().toString());
      }
    }
  }

  @Test
  void bertsSixteenEncoderLayersAreTapped() {
    JsonNode entry = Fixtures.transformerFile(BERT);
    try (ModelView v = Importers.open(Fixtures.path(BERT))) {
      List<String> encoder =
          v.layers().stream()
              .filter(l -> l.name().startsWith("bert.encoder.layer."))
              .filter(l -> l.kind() == OpKind.LINEAR || l.kind() == OpKind.LAYER_NORM)
              .map(Layer::name)
              .toList();
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        for (String m :
            List.of(
                "attention.self.query",
                "attention.self.key",
                "attention.self.value",
                "attention.output.dense",
                "attention.output.LayerNorm",
                "intermediate.dense",
                "output.dense",
                "output.LayerNorm")) {
          expected.add("bert.encoder.layer." + i + "." + m);
        }
      }
      assertEquals(expected, encoder);
      RunResult r = v.run(Fixtures.transformerInputs(entry, "random"), TapSelection.of(encoder));
      assertEquals(encoder, List.copyOf(r.layerOutputs().keySet()));
      assertTrue(r.untapped().isEmpty());
      long[] shape = r.layerOutputs().get("bert.encoder.layer.1.attention.self.query").shape();
      assertEquals(List.of(1L, 8L, 32L), toList(shape));
      for (String n : encoder) {
        Layer l = v.layer(n).orElseThrow();
        assertTrue(l.tappable(), n);
        if (l.kind() == OpKind.LAYER_NORM) {
          assertEquals(1e-12, l.epsilon().orElseThrow(), 1e-18, n);
        }
      }
    }
  }

  @Test
  void theEpsilonTwinsLayerNormsCarryKerasDefault() {
    try (ModelView v = Importers.open(Fixtures.path("models/bert/bert.eps_bug.torchscript.pt"))) {
      List<Layer> norms = v.layers().stream().filter(l -> l.kind() == OpKind.LAYER_NORM).toList();
      assertEquals(5, norms.size());
      for (Layer l : norms) {
        assertEquals(1e-3, l.epsilon().orElseThrow(), 1e-12, l.name());
      }
    }
  }

  @Test
  void huggingFaceConv1dIsALinearLayerWithAnInOutWeight() {
    try (ModelView v = Importers.open(Fixtures.path(GPT2))) {
      for (String n :
          List.of(
              "transformer.h.1.attn.c_attn",
              "transformer.h.1.attn.c_proj",
              "transformer.h.1.mlp.c_fc",
              "transformer.h.1.mlp.c_proj")) {
        Layer l = v.layer(n).orElseThrow();
        assertEquals("transformers.pytorch_utils.Conv1D", l.opType());
        assertEquals(OpKind.LINEAR, l.kind(), n);
        assertTrue(l.note().contains("[in, out]"), l.note());
        assertEquals(WeightLayout.IO, v.parameters().get(n + ".weight").layout(), n);
        assertEquals(WeightLayout.VECTOR, v.parameters().get(n + ".bias").layout(), n);
      }
      // c_fc maps 32 features to 128: stored [in, out].
      assertEquals(
          List.of(32L, 128L), v.parameters().get("transformer.h.1.mlp.c_fc.weight").shape());
      assertEquals(WeightLayout.OI, v.parameters().get("lm_head.weight").layout());
      assertEquals(WeightLayout.OTHER, v.parameters().get("transformer.wte.weight").layout());
      Layer act = v.layer("transformer.h.1.mlp.act").orElseThrow();
      assertEquals(OpKind.GELU, act.kind());
      assertEquals("tanh", act.attribute("approximate").orElseThrow().render());
    }
  }

  @Test
  void bertsExactGeluSaysSo() {
    try (ModelView v = Importers.open(Fixtures.path(BERT))) {
      Layer act = v.layer("bert.encoder.layer.0.intermediate.intermediate_act_fn").orElseThrow();
      assertEquals(OpKind.GELU, act.kind());
      assertEquals("none", act.attribute("approximate").orElseThrow().render());
    }
  }

  @Test
  void tokenIdInputsAreTypedAsIntegersAndFloatsForThemAreRefusedWithTheReason() {
    try (ModelView v = Importers.open(Fixtures.path(BERT))) {
      assertEquals(DType.INT64, v.inputs().get(0).dtype());
      assertEquals("input_ids", v.inputs().get(0).name());
      // The mask is only multiplied in: any numeric dtype runs.
      assertEquals(DType.FLOAT32, v.inputs().get(1).dtype());
      PortcheckException e =
          assertThrows(
              PortcheckException.class,
              () ->
                  v.run(
                      Map.of(
                          "input_ids", Tensor.filled(new long[] {1, 8}, 1f),
                          "attention_mask", Tensor.filled(new long[] {1, 8}, 1f)),
                      TapSelection.NONE));
      assertTrue(e.getMessage().contains("'input_ids' indexes an embedding table"), e.getMessage());
    }
    try (ModelView v = Importers.open(Fixtures.path(GPT2))) {
      // GPT-2 reshapes its ids (view) before the lookup.
      assertEquals(DType.INT64, v.inputs().get(0).dtype());
    }
  }

  @Test
  void aModuleNeverCalledThroughItsForwardSaysWhyItIsNotTapped() {
    // nn.MultiheadAttention's traced code uses out_proj's weights without calling out_proj.
    try (ModelView v =
        Importers.open(Fixtures.path("models/transformer/transformer.torchscript.pt"))) {
      Layer outProj = v.layer("attn.out_proj").orElseThrow();
      assertFalse(outProj.tappable());
      assertTrue(outProj.note().contains("never called"), outProj.note());
      RunResult r =
          v.run(
              Map.of("x", Fixtures.npy("models/transformer/ref/input_ones_ntc.npy")),
              TapSelection.of("attn", "attn.out_proj"));
      assertEquals(List.of("attn.out_proj"), r.untapped());
      assertEquals(outProj.note(), r.untappedReasons().get("attn.out_proj"));
    }
  }

  static List<Long> toList(long[] a) {
    return java.util.Arrays.stream(a).boxed().toList();
  }
}
