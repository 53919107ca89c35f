package dev.portcheck.comparator;

import dev.portcheck.importers.api.ModelView;
import java.util.List;

/** Ready-made model sets for tests outside this package (renderers). */
public final class TestModels {
  private TestModels() {}

  /** PyTorch reference vs a Keras port whose bn2 has epsilon 1e-3. */
  public static List<ModelView> epsilonBugPair() {
    Cnn cnn = new Cnn(7);
    return List.of(cnn.torch(1e-5).build(), cnn.keras(1e-3, false, null).build());
  }

  /** PyTorch reference vs an ONNX twin whose relu1 emits one NaN. */
  public static List<ModelView> nanPair() {
    Cnn cnn = new Cnn(7);
    return List.of(
        cnn.torch(1e-5).build(),
        cnn.onnx(1e-5).tweak("/relu1/Relu", t -> ModelComparisonTest.set(t, 5, Float.NaN)).build());
  }
}
