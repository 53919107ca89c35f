package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcheck.importers.api.testing.Fixtures;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The heap a comparison needs counts what the importers keep and pass through, not the weights. */
class MemoryBudgetTest {
  private static final Path TORCHSCRIPT = Fixtures.path("models/cnn/cnn.torchscript.pt");
  private static final Path ONNX = Fixtures.path("models/cnn/cnn.bn.onnx");
  private static final Path SAVED_MODEL = Fixtures.path("models/cnn/cnn.keras.savedmodel");

  @Test
  void torchScriptWeightsAreNotCountedInTheHeapTheirStoragesAreReadOnDemand() {
    assertEquals(MemoryBudget.COMPARATOR_BYTES, MemoryBudget.heapNeed(List.of(TORCHSCRIPT)));
  }

  @Test
  void anOnnxFileIsKeptParsedAndPassesThroughOnceMoreWhileLoading() {
    long onnx = MemoryBudget.diskBytes(ONNX);
    assertEquals(
        2 * onnx + MemoryBudget.COMPARATOR_BYTES,
        MemoryBudget.heapNeed(List.of(TORCHSCRIPT, ONNX)));
  }

  @Test
  void onlyTheLargestLoadingPassCountsModelsLoadOneAfterAnother() {
    long onnx = MemoryBudget.diskBytes(ONNX);
    long savedModel = MemoryBudget.diskBytes(SAVED_MODEL);
    assertEquals(
        onnx + Math.max(onnx, 2 * savedModel) + MemoryBudget.COMPARATOR_BYTES,
        MemoryBudget.heapNeed(List.of(TORCHSCRIPT, ONNX, SAVED_MODEL)));
  }
}
