package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Limits that keep untrusted declarations from turning into crashes, huge allocations or debris.
 */
class ResourceLimitsTest {
  @TempDir Path dir;

  @Test
  void declaredInputOfATrillionElementsIsRefusedNamingTheInputAndShape() {
    TensorInfo huge =
        new TensorInfo("x", DType.FLOAT32, List.of(1_000_000L, 1_000_000L), Layout.UNSPECIFIED);
    PortcheckException e =
        assertThrows(
            PortcheckException.class,
            () -> InputLimits.requireFeedable(Path.of("m.onnx"), List.of(huge)));
    assertEquals(PortcheckException.Reason.NOT_RUNNABLE, e.reason());
    assertTrue(e.getMessage().startsWith("m.onnx: cannot be run: input 'x'"), e.getMessage());
    assertTrue(e.getMessage().contains("[1000000, 1000000]"), e.getMessage());
  }

  @Test
  void overflowingAndDynamicDeclaredShapesAreJudgedWithoutArithmeticErrors() {
    TensorInfo overflow =
        new TensorInfo(
            "x", DType.FLOAT32, List.of(Long.MAX_VALUE, Long.MAX_VALUE), Layout.UNSPECIFIED);
    assertThrows(
        PortcheckException.class,
        () -> InputLimits.requireFeedable(Path.of("m.onnx"), List.of(overflow)));
    TensorInfo dynamic =
        new TensorInfo("x", DType.FLOAT32, List.of(-1L, 3L, 224L, 224L), Layout.NCHW);
    TensorInfo normal =
        new TensorInfo("y", DType.FLOAT32, List.of(1L, 3L, 224L, 224L), Layout.NCHW);
    InputLimits.requireFeedable(Path.of("m.onnx"), List.of(dynamic, normal));
  }

  /** Before: Math.toIntExact threw ArithmeticException, reported as an internal error. */
  @Test
  void filledProbeTooLargeForAnArrayIsNotRunnableNotAnArithmeticError() {
    PortcheckException e =
        assertThrows(
            PortcheckException.class, () -> Tensor.filled(new long[] {1_000_000, 1_000_000}, 1f));
    assertEquals(PortcheckException.Reason.NOT_RUNNABLE, e.reason());
    assertTrue(e.getMessage().contains("--shape"), e.getMessage());
    assertThrows(
        PortcheckException.class,
        () -> Tensor.filled(new long[] {Long.MAX_VALUE, Long.MAX_VALUE}, 1f));
    assertEquals(12, Tensor.filled(new long[] {3, 4}, 1f).size());
  }

  @Test
  void zeroByteFileOfAnyNameIsReportedAsEmpty() throws IOException {
    Path p = Files.createFile(dir.resolve("weights.bin"));
    PortcheckException e = assertThrows(PortcheckException.class, () -> Importers.forPath(p));
    assertEquals(PortcheckException.Reason.TRUNCATED, e.reason());
    assertTrue(
        e.getMessage().contains("weights.bin: truncated: the file is empty"), e.getMessage());
  }

  @Test
  void tempFilesAreForgottenOnceDeletedAndRemovedByTheirOwner() throws IOException {
    int before = TempFiles.live();
    Path p = TempFiles.create("portcheck-test-", ".tmp");
    assertTrue(Files.exists(p));
    assertEquals(before + 1, TempFiles.live());
    TempFiles.delete(p);
    assertFalse(Files.exists(p));
    assertEquals(before, TempFiles.live());
    TempFiles.delete(null);
    assertEquals(before, TempFiles.live(), Arrays.toString(new int[] {before}));
  }
}
