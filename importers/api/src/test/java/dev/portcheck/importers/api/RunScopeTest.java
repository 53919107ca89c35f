package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** In-place views live as long as their run's scope; reading one later throws, never misreads. */
class RunScopeTest {
  /** One engine buffer reused run after run, as the importers keep them. */
  private final FloatBuffer buffer = FloatBuffer.allocate(4);

  private final RunScope.Sequence model = new RunScope.Sequence("m1.onnx");

  private RunResult run(float value) {
    RunScope scope = model.next();
    for (int i = 0; i < 4; i++) {
      buffer.put(i, value);
    }
    Tensor t = Tensor.view(DType.FLOAT32, new long[] {2, 2}, buffer, scope, "conv1");
    return new RunResult(Map.of("y", t), Map.of("conv1", t), List.of(), Map.of(), scope);
  }

  @Test
  void aViewReadAfterItsModelRanAgainThrowsNamingTheTensorAndWhy() {
    RunResult first = run(1f);
    Tensor conv1 = first.layerOutputs().get("conv1");
    assertEquals(1f, conv1.getFloat(0));
    try (RunResult second = run(2f)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, conv1::toFloatArray);
      assertEquals(
          "tensor 'conv1' was read after m1.onnx ran again; call detached() to keep it",
          e.getMessage());
      assertThrows(IllegalStateException.class, () -> conv1.getFloat(0));
      assertThrows(IllegalStateException.class, conv1::floatBuffer);
      assertThrows(IllegalStateException.class, conv1::detached);
      assertFalse(first.isOpen());
      assertEquals(2f, second.outputs().get("y").getFloat(3));
    }
  }

  @Test
  void aViewReadAfterItsResultClosedThrowsAndASecondCloseIsHarmless() {
    RunResult res = run(1f);
    Tensor y = res.outputs().get("y");
    Tensor reshaped = y.reshape(new long[] {4});
    res.close();
    res.close();
    assertFalse(res.isOpen());
    IllegalStateException e = assertThrows(IllegalStateException.class, y::toFloatArray);
    assertTrue(e.getMessage().contains("after its run result was closed"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> reshaped.getFloat(0));
    assertThrows(IllegalStateException.class, () -> y.transpose(1, 0));
  }

  @Test
  void aDetachedCopySurvivesTheNextRunAndTheClose() {
    Tensor kept;
    Map<String, Tensor> outputs;
    try (RunResult res = run(1f)) {
      kept = res.layerOutputs().get("conv1").detached();
      outputs = res.detachedOutputs();
    }
    try (RunResult next = run(5f)) {
      assertFalse(kept.isView());
      assertArrayEquals(new float[] {1, 1, 1, 1}, kept.toFloatArray());
      assertArrayEquals(new float[] {1, 1, 1, 1}, outputs.get("y").toFloatArray());
      assertEquals(5f, next.layerOutputs().get("conv1").getFloat(0));
    }
  }

  @Test
  void aViewReadAfterItsModelClosedThrows() {
    RunResult res = run(1f);
    model.close();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> res.layerOutputs().get("conv1").floatBuffer());
    assertEquals(
        "tensor 'conv1' was read after m1.onnx was closed; call detached() to keep it",
        e.getMessage());
  }

  @Test
  void aResultOfCopiesStaysReadableAfterClose() {
    Tensor t = Tensor.ofFloats(new long[] {2}, new float[] {3, 4});
    RunResult res = new RunResult(Map.of("y", t), Map.of(), List.of());
    res.close();
    assertTrue(res.isOpen());
    assertSame(t, res.outputs().get("y"));
    assertArrayEquals(new float[] {3, 4}, res.outputs().get("y").toFloatArray());
  }
}
