package dev.portcheck.comparator.baseline;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The versions of the engines on the class path, read from their jars' manifests, for the record in
 * a baseline: a changed engine explains a small numeric drift. The comparator does not depend on
 * any engine, so each is looked up by class name and left out when absent.
 */
public final class EngineVersions {
  private static final Map<String, String> ENGINES =
      Map.of(
          "onnxruntime", "ai.onnxruntime.OrtEnvironment",
          "tensorflow-java", "org.tensorflow.TensorFlow",
          "djl-pytorch", "ai.djl.pytorch.engine.PtEngine");

  private EngineVersions() {}

  /** Engine name to version, for the engines present; "unknown" when a jar does not say. */
  public static Map<String, String> detect() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : new String[] {"onnxruntime", "tensorflow-java", "djl-pytorch"}) {
      try {
        Class<?> c = Class.forName(ENGINES.get(name), false, EngineVersions.class.getClassLoader());
        Package p = c.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        if (v == null && p != null) {
          v = p.getSpecificationVersion();
        }
        out.put(name, v == null ? "unknown" : v);
      } catch (ClassNotFoundException | LinkageError e) {
        // Not on the class path: this run cannot open that framework's models anyway.
      }
    }
    return out;
  }
}
