package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * All three engines load and run in one JVM without touching the network: DJL runs with {@code
 * ai.djl.offline=true} and libtorch from its Maven artifact, ONNX Runtime and TensorFlow carry
 * their natives in their jars. Any URL connection Java makes goes through the default
 * ProxySelector, so a recording selector that points at a dead proxy both blocks and reveals a
 * download attempt.
 */
class OfflineEnginesTest {
  private final List<URI> attempted = Collections.synchronizedList(new ArrayList<>());
  private ProxySelector previous;

  @BeforeEach
  void blockNetwork() {
    previous = ProxySelector.getDefault();
    ProxySelector.setDefault(
        new ProxySelector() {
          @Override
          public List<Proxy> select(URI uri) {
            attempted.add(uri);
            return List.of(new Proxy(Proxy.Type.HTTP, new InetSocketAddress("127.0.0.1", 9)));
          }

          @Override
          public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
        });
  }

  @AfterEach
  void restoreNetwork() {
    ProxySelector.setDefault(previous);
  }

  @Test
  void allThreeEnginesRunAFixtureWithNoNetwork() {
    assertEquals("true", System.getProperty("ai.djl.offline"), "surefire must run DJL offline");
    for (String framework : List.of("onnx", "tensorflow", "pytorch")) {
      JsonNode entry =
          Fixtures.files(
                  f ->
                      framework.equals(f.path("framework").asText())
                          && "cnn".equals(f.path("family").asText())
                          && "clean".equals(f.path("variant").asText())
                          && !"state_dict".equals(f.path("format").asText())
                          && !"frozen_graphdef".equals(f.path("format").asText()))
              .get(0);
      try (ModelView model = Importers.open(Fixtures.path(entry.path("path").asText()))) {
        assertEquals(
            Framework.valueOf(framework.toUpperCase(java.util.Locale.ROOT)), model.framework());
        JsonNode input = entry.path("inputs").get(0);
        long[] shape = new long[input.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = input.path("shape").get(i).asLong();
        }
        String name =
            model.inputs().isEmpty() ? input.path("name").asText() : model.inputs().get(0).name();
        RunResult r = model.run(Map.of(name, Tensor.filled(shape, 1f)), TapSelection.NONE);
        Tensor expected = Fixtures.npy(entry.path("reference").path("ones").asText());
        Tensor actual = r.outputs().values().iterator().next();
        assertEquals(expected.size(), actual.size(), framework);
        for (int i = 0; i < expected.size(); i++) {
          assertEquals(expected.getFloat(i), actual.getFloat(i), 1e-4, framework + " output " + i);
        }
      }
    }
    assertTrue(attempted.isEmpty(), "engines tried to reach the network: " + attempted);
  }
}
