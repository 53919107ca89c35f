package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  @TempDir Path dir;

  @Test
  void writtenFloatArrayReadsBackWithShape() throws IOException {
    Tensor t = Tensor.ofFloats(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f});
    Path f = dir.resolve("a.npy");
    Npy.write(f, t);
    Tensor back = Npy.read(f);
    assertArrayEquals(new long[] {2, 3}, back.shape());
    assertArrayEquals(t.toFloatArray(), back.toFloatArray());
    assertEquals(0, (Files.size(f) - 6 * 4) % 64, "npy data must start 64-byte aligned");
  }

  @Test
  void int64ArrayKeepsItsType() throws IOException {
    Tensor t = Tensor.ofLongs(DType.INT64, new long[] {3}, new long[] {1, 16000, -3});
    Path f = dir.resolve("i.npy");
    Npy.write(f, t);
    Tensor back = Npy.read(f);
    assertEquals(DType.INT64, back.dtype());
    assertArrayEquals(new long[] {1, 16000, -3}, back.toLongArray());
  }

  @Test
  void truncatedDataIsReportedWithByteCounts() throws IOException {
    Path f = dir.resolve("t.npy");
    Npy.write(f, Tensor.filled(new long[] {10}, 1f));
    byte[] all = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(all, all.length - 8));
    PortcheckException e = assertThrows(PortcheckException.class, () -> Npy.read(f));
    assertEquals(PortcheckException.Reason.TRUNCATED, e.reason());
    assertTrue(e.getMessage().contains("t.npy"), e.getMessage());
    assertTrue(e.getMessage().contains("needs 40 data bytes, found 32"), e.getMessage());
  }

  @Test
  void unsupportedDtypeNamesTheDtypeAndTheFix() {
    byte[] header = "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }".getBytes();
    byte[] bytes = new byte[10 + header.length + 8];
    bytes[0] = (byte) 0x93;
    System.arraycopy("NUMPY".getBytes(), 0, bytes, 1, 5);
    bytes[6] = 1;
    bytes[8] = (byte) header.length;
    System.arraycopy(header, 0, bytes, 10, header.length);
    PortcheckException e =
        assertThrows(PortcheckException.class, () -> Npy.parse(Path.of("c.npy"), bytes));
    assertEquals(PortcheckException.Reason.BAD_INPUT, e.reason());
    assertTrue(e.getMessage().contains("dtype '<c8' is not supported"), e.getMessage());
  }

  @Test
  void randomBytesAreNotMistakenForAnArray() {
    PortcheckException e =
        assertThrows(
            PortcheckException.class,
            () -> Npy.parse(Path.of("r.npy"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
    assertEquals(PortcheckException.Reason.BAD_INPUT, e.reason());
    // An input array, not a model: no "not a valid model ... export it again".
    assertTrue(e.getMessage().startsWith("r.npy: not a valid .npy array"), e.getMessage());
    assertTrue(e.getMessage().contains("numpy.save"), e.getMessage());
  }

  /** Found by NpyFuzzTest: (3, 2^63-1) overflowed the element count into an ArithmeticException. */
  @Test
  void shapeWhoseElementCountOverflowsIsTooLargeNotACrash() {
    byte[] header =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 9223372036854775807), }\n"
            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    byte[] bytes = new byte[10 + header.length];
    System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, 0, bytes, 0, 8);
    bytes[8] = (byte) header.length;
    System.arraycopy(header, 0, bytes, 10, header.length);
    PortcheckException e =
        assertThrows(PortcheckException.class, () -> Npy.parse(Path.of("big.npy"), bytes));
    assertEquals(PortcheckException.Reason.BAD_INPUT, e.reason());
    assertTrue(e.getMessage().contains("too large"), e.getMessage());
    assertTrue(e.getMessage().startsWith("big.npy: "), e.getMessage());
  }
}
