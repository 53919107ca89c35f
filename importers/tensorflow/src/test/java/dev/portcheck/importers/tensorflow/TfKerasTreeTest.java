package dev.portcheck.importers.tensorflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Keras layer tree read from keras_metadata.pb, and what happens when that file is bad. */
class TfKerasTreeTest {

  @Test
  void bertsTreeNamesItsSubclassedLayersAndTheirBuiltInLeaves() {
    TfKerasTree.Node root = TfKerasTree.read(Fixtures.path("models/bert/bert.tf.savedmodel"));
    assertEquals("tf_bert_for_sequence_classification", root.name());
    assertEquals("TFBertForSequenceClassification", root.simpleClass());
    assertEquals(
        List.of("bert", "dropout_7", "classifier"),
        root.children().stream().map(TfKerasTree.Node::name).toList());
    TfKerasTree.Node bert = root.child("bert");
    assertEquals("TFBertMainLayer", bert.simpleClass()); // registered as Custom>TFBertMainLayer
    assertTrue(bert.container());
    TfKerasTree.Node layer0 = bert.child("encoder").child("layer_._0");
    TfKerasTree.Node query = layer0.child("attention").child("self").child("query");
    assertEquals("Dense", query.className());
    assertFalse(query.container());
  }

  @Test
  void builtInModelsOfBuiltInLayersGetNoTree() {
    // A functional model of built-in layers (the Keras MultiHeadAttention stays one layer).
    assertNull(TfKerasTree.read(Fixtures.path("models/transformer/transformer.keras.savedmodel")));
    assertNull(TfKerasTree.read(Fixtures.path("models/cnn/cnn.onnx2tf.savedmodel")));
  }

  @Test
  void aTruncatedOrGarbageMetadataFileIsIgnoredNotFatal(@TempDir Path dir) throws IOException {
    byte[] real =
        Files.readAllBytes(
            Fixtures.path("models/bert/bert.tf.savedmodel").resolve(TfKerasTree.FILE));
    Files.write(dir.resolve(TfKerasTree.FILE), Arrays.copyOf(real, real.length / 3));
    TfKerasTree.read(dir); // whatever it finds, no exception
    Files.write(dir.resolve(TfKerasTree.FILE), new byte[] {(byte) 0xff, 0x12, 0x00, 0x7f});
    assertNull(TfKerasTree.read(dir));
    Files.write(dir.resolve(TfKerasTree.FILE), new byte[0]);
    assertNull(TfKerasTree.read(dir));
  }

  @Test
  void onlyTopLevelMembersOfTheMetadataJsonAreRead() {
    Map<String, String> top =
        TfKerasTree.topLevelStrings(
            "{\"config\": {\"name\": \"inner\", \"x\": [\"a\", {\"name\": \"deeper\"}]},"
                + " \"name\": \"outer\", \"n\": 3, \"class_name\": \"Custom>TFBlock\\u0021\"}");
    assertEquals("outer", top.get("name"));
    assertEquals("Custom>TFBlock!", top.get("class_name"));
    assertEquals(2, top.size());
  }
}
