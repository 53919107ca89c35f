package dev.portcheck.importers.tensorflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.WeightLayout;
import dev.portcheck.importers.api.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hugging Face TF models (TFBertForSequenceClassification, TFGPT2LMHeadModel, saved by tf_keras):
 * their Embedding lookups (ResourceGather on a variable) run, their subclassed layers are split
 * into the Keras layers they hold, and their LayerNorms are LayerNorms with the model's epsilon.
 */
class TfTransformersTest {
  private static final String BERT = "models/bert/bert.tf.savedmodel";
  private static final String GPT2 = "models/gpt2/gpt2.tf.savedmodel";

  static Stream<String> files() {
    return Fixtures.transformerFiles(f -> "tensorflow".equals(f.path("framework").asText()))
        .stream()
        .map(f -> f.path("path").asText());
  }

  @ParameterizedTest
  @MethodSource("files")
  void tokenIdsGiveTheTorchScriptLogitsWithEveryLayerTapped(String rel) {
    JsonNode entry = Fixtures.transformerFile(rel);
    // The TorchScript twin of the same variant: the same weights run by libtorch.
    JsonNode torch = Fixtures.transformerFile(rel.replace(".tf.savedmodel", ".torchscript.pt"));
    try (ModelView v = Importers.open(Fixtures.path(rel))) {
      assertTrue(v.inputs().stream().allMatch(i -> i.dtype() == DType.INT64), rel);
      for (String probe : List.of("ones", "random")) {
        RunResult r = v.run(Fixtures.transformerInputs(entry, probe), TapSelection.ALL);
        Tensor want = Fixtures.npy(torch.path("reference").path(probe).asText());
        Tensor got = r.outputs().get("logits");
        assertEquals(want.size(), got.size(), rel);
        for (int i = 0; i < want.size(); i++) {
          assertEquals(want.getFloat(i), got.getFloat(i), 1e-5, rel + " " + probe + " [" + i + "]");
        }
        assertTrue(r.untapped().isEmpty(), rel + " untapped " + r.untapped());
        assertEquals(v.layers().size(), r.layerOutputs().size(), rel);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("files")
  void everyKerasLayerIsALayerAndEveryLayerNormCarriesItsEpsilon(String rel) {
    JsonNode entry = Fixtures.transformerFile(rel);
    try (ModelView v = Importers.open(Fixtures.path(rel))) {
      for (JsonNode k : entry.path("kerasLayers")) {
        assertTrue(v.layer(k.asText()).isPresent(), rel + ": Keras layer " + k.asText());
      }
      List<String> norms =
          v.layers().stream().filter(l -> l.kind() == OpKind.LAYER_NORM).map(Layer::name).toList();
      List<String> expected = new ArrayList<>();
      entry.path("layerNorms").forEach(n -> expected.add(n.path("layer").asText()));
      assertEquals(expected, norms, rel);
      for (JsonNode n : entry.path("layerNorms")) {
        Layer l = v.layer(n.path("layer").asText()).orElseThrow();
        double eps = n.path("epsilon").asDouble();
        assertEquals(eps, l.epsilon().orElseThrow(), eps * 1e-6, l.name());
        assertTrue(l.parameters().get("scale").endsWith("/gamma"), l.parameters().toString());
        assertTrue(l.parameters().get("offset").endsWith("/beta"), l.parameters().toString());
      }
    }
  }

  @Test
  void bertsLayerNormsAreDecomposedAt1e12AndFusedBatchNormsAtKerasDefault() {
    try (ModelView clean = Importers.open(Fixtures.path(BERT));
        ModelView bug = Importers.open(Fixtures.path("models/bert/bert.eps_bug.tf.savedmodel"))) {
      Layer a = clean.layer("bert/embeddings/LayerNorm").orElseThrow();
      Layer b = bug.layer("bert/embeddings/LayerNorm").orElseThrow();
      // tf_keras computes epsilon < 1.001e-5 with moments/Rsqrt, larger ones as a fused batch
      // norm over the input reshaped to NCHW: both are LayerNorms.
      assertEquals("LayerNormalization", a.opType());
      assertEquals("FusedBatchNormV3", b.opType());
      assertEquals(OpKind.LAYER_NORM, b.kind());
      assertEquals(1e-12, a.epsilon().orElseThrow(), 1e-18);
      assertEquals(1e-3, b.epsilon().orElseThrow(), 1e-9);
      assertNull(b.attributes().get("data_format"));
    }
  }

  @Test
  void bertsEmbeddingLookupsRunOnTheirVariablesAsGathersWithTheTableAsWeight() {
    try (ModelView v = Importers.open(Fixtures.path(BERT))) {
      for (String[] g :
          List.of(
              new String[] {"bert/embeddings/Gather", "word_embeddings/weight"},
              new String[] {"bert/embeddings/Gather_1", "position_embeddings/embeddings"},
              new String[] {"bert/embeddings/Gather_2", "token_type_embeddings/embeddings"})) {
        Layer l = v.layer(g[0]).orElseThrow();
        assertEquals("GatherV2", l.opType());
        assertEquals("bert/embeddings", l.parent());
        String table = l.parameters().get("weight");
        assertTrue(table.endsWith(g[1]), table);
        assertEquals(WeightLayout.OTHER, v.parameters().get(table).layout());
      }
      Tensor words =
          v.parameter(v.layer("bert/embeddings/Gather").orElseThrow().parameters().get("weight"));
      assertEquals(List.of(128L, 32L), toList(words.shape()));
      // Their sum, then the LayerNorm: the layers between the lookups and the encoder.
      assertEquals(OpKind.ADD, v.layer("bert/embeddings/add_2").orElseThrow().kind());
    }
  }

  @Test
  void bertsEncoderLayersAreListedUnderTheirSubclassedLayers() {
    try (ModelView v = Importers.open(Fixtures.path(BERT))) {
      for (int i = 0; i < 2; i++) {
        String p = "bert/encoder/layer_._" + i;
        for (String dense :
            List.of(
                "/attention/self/query",
                "/attention/self/key",
                "/attention/self/value",
                "/attention/output/dense",
                "/intermediate/dense",
                "/output/dense")) {
          Layer l = v.layer(p + dense).orElseThrow();
          assertEquals(OpKind.LINEAR, l.kind(), l.name());
          assertEquals(WeightLayout.IO, v.parameters().get(l.parameters().get("weight")).layout());
        }
        Layer self = v.layer(p + "/attention/self").orElseThrow();
        assertEquals(OpKind.CONTAINER, self.kind());
        assertEquals("TFBertSelfAttention", self.opType());
        assertEquals(p + "/attention", self.parent());
        assertEquals(OpKind.SOFTMAX, v.layer(p + "/attention/self/Softmax").orElseThrow().kind());
        Layer gelu = v.layer(p + "/intermediate/Gelu").orElseThrow();
        assertEquals(OpKind.GELU, gelu.kind());
        assertEquals("none", gelu.attribute("approximate").orElseThrow().render());
      }
      assertEquals(OpKind.CONTAINER, v.layer("bert").orElseThrow().kind());
      assertNull(v.layer("bert").orElseThrow().parent());
      assertNull(v.layer("classifier").orElseThrow().parent());
    }
  }

  @Test
  void aContainerReturnsWhatItsLastLayerReturns() {
    try (ModelView v = Importers.open(Fixtures.path(BERT))) {
      JsonNode entry = Fixtures.transformerFile(BERT);
      RunResult r =
          v.run(
              Fixtures.transformerInputs(entry, "random"),
              TapSelection.of("bert/embeddings", "bert/embeddings/dropout", "bert/pooler/dense"));
      assertEquals(
          r.layerOutputs().get("bert/embeddings/dropout"), r.layerOutputs().get("bert/embeddings"));
      assertEquals(List.of(1L, 32L), toList(r.layerOutputs().get("bert/pooler/dense").shape()));
    }
  }

  @Test
  void gpt2sMlpUsesTanhGeluAndItsLmHeadReadsTheTiedEmbedding() {
    try (ModelView v = Importers.open(Fixtures.path(GPT2))) {
      Layer act = v.layer("transformer/h_._1/mlp/Gelu").orElseThrow();
      assertEquals(OpKind.GELU, act.kind());
      assertEquals("tanh", act.attribute("approximate").orElseThrow().render());
      Layer fc = v.layer("transformer/h_._1/mlp/c_fc").orElseThrow();
      assertEquals(OpKind.LINEAR, fc.kind());
      String w = fc.parameters().get("weight");
      assertTrue(w.endsWith("transformer/h_._1/mlp/c_fc/weight"), w);
      assertEquals(List.of(32L, 128L), v.parameters().get(w).shape());
      Layer wte = v.layer("transformer/wte").orElseThrow();
      assertEquals("GatherV2", wte.opType());
      Layer head = v.layer("MatMul").orElseThrow();
      assertEquals(wte.parameters().get("weight"), head.parameters().get("weight"));
    }
  }

  static List<Long> toList(long[] a) {
    return java.util.Arrays.stream(a).boxed().toList();
  }
}
