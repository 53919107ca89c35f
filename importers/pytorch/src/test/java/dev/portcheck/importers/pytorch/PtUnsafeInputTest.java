package dev.portcheck.importers.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PtUnsafeInputTest {
  @TempDir Path dir;

  private final PtImporter importer = new PtImporter();

  static byte[] zip(String[] names, byte[][] contents) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      for (int i = 0; i < names.length; i++) {
        z.putNextEntry(new ZipEntry(names[i]));
        z.write(contents[i]);
        z.closeEntry();
      }
    }
    return b.toByteArray();
  }

  private PortcheckException refuse(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return assertThrows(PortcheckException.class, () -> importer.open(p).close());
  }

  /** GLOBAL module\nname\n, a one-string argument tuple, REDUCE: what an exploit pickle does. */
  static byte[] reducePickle(String module, String name) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x80);
    b.write(2);
    b.write('c');
    b.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    b.write('X');
    byte[] arg = "echo pwned".getBytes(StandardCharsets.US_ASCII);
    b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(arg.length).array());
    b.writeBytes(arg);
    b.write(0x85); // TUPLE1
    b.write('R');
    b.write('.');
    return b.toByteArray();
  }

  /** The same via protocol-4 STACK_GLOBAL. */
  static byte[] stackGlobalPickle(String module, String name) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x80);
    b.write(4);
    for (String s : new String[] {module, name}) {
      b.write(0x8c);
      b.write(s.length());
      b.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }
    b.write(0x93);
    b.write(')');
    b.write('R');
    b.write('.');
    return b.toByteArray();
  }

  @Test
  void pickleCallingOsSystemIsRefusedNamingTheGlobal() throws IOException {
    PortcheckException e =
        refuse(
            "evil.pth",
            zip(new String[] {"archive/data.pkl"}, new byte[][] {reducePickle("os", "system")}));
    assertEquals(PortcheckException.Reason.UNSAFE, e.reason());
    assertTrue(e.getMessage().contains("'os.system'"), e.getMessage());
    assertTrue(e.getMessage().contains("evil.pth"), e.getMessage());
    assertTrue(e.getMessage().contains("archive/data.pkl"), e.getMessage());
  }

  @Test
  void pickleReferencingBuiltinsEvalOrSubprocessPopenIsRefused() throws IOException {
    for (String[] g :
        new String[][] {{"builtins", "eval"}, {"subprocess", "Popen"}, {"posix", "system"}}) {
      PortcheckException e =
          refuse(
              "evil2.pth",
              zip(new String[] {"m/data.pkl"}, new byte[][] {stackGlobalPickle(g[0], g[1])}));
      assertEquals(PortcheckException.Reason.UNSAFE, e.reason());
      assertTrue(e.getMessage().contains("'" + g[0] + "." + g[1] + "'"), e.getMessage());
    }
  }

  @Test
  void zipEntryEscapingWithDotDotIsRefused() throws IOException {
    PortcheckException e =
        refuse(
            "slip.pth",
            zip(
                new String[] {"archive/data.pkl", "../evil"},
                new byte[][] {reducePickle("collections", "OrderedDict"), new byte[] {1}}));
    assertEquals(PortcheckException.Reason.UNSAFE, e.reason());
    assertTrue(e.getMessage().contains("'../evil'"), e.getMessage());
  }

  @Test
  void absoluteAndBackslashEntryNamesAreRefused() throws IOException {
    for (String bad : new String[] {"/etc/passwd", "archive\\..\\..\\x", "C:/x"}) {
      PortcheckException e =
          refuse(
              "names.pth", zip(new String[] {"archive/data.pkl", bad}, new byte[][] {{'.'}, {1}}));
      assertEquals(PortcheckException.Reason.UNSAFE, e.reason(), bad);
    }
  }

  @Test
  void symlinkEntryIsRefused() throws IOException {
    byte[] z =
        zip(
            new String[] {"archive/data.pkl", "archive/link"},
            new byte[][] {{'.'}, "/etc/passwd".getBytes(StandardCharsets.US_ASCII)});
    int cen = lastCentralRecord(z);
    ByteBuffer b = ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort(cen + 4, (short) 0x031e); // made by unix
    b.putInt(cen + 38, 0120777 << 16); // S_IFLNK | 0777
    PortcheckException e = refuse("link.pth", z);
    assertEquals(PortcheckException.Reason.UNSAFE, e.reason());
    assertTrue(e.getMessage().contains("'archive/link'"), e.getMessage());
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
  }

  @Test
  void hugeDeclaredEntrySizeIsRefused() throws IOException {
    byte[] z =
        zip(
            new String[] {"archive/data.pkl", "archive/data/0"},
            new byte[][] {{'.'}, new byte[16]});
    int cen = lastCentralRecord(z);
    ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN).putInt(cen + 24, 0xfffffff0);
    PortcheckException e = refuse("bomb.pth", z);
    assertEquals(PortcheckException.Reason.UNSAFE, e.reason());
    assertTrue(e.getMessage().contains("archive/data/0"), e.getMessage());
  }

  @Test
  void entriesDeclaringMoreThanFourGigabytesBeyondTheFileAreRefused() throws IOException {
    byte[] z =
        zip(
            new String[] {"archive/data.pkl", "archive/data/0", "archive/data/1", "archive/data/2"},
            new byte[][] {{'.'}, new byte[16], new byte[16], new byte[16]});
    // each entry declares 1.75 GiB (under the per-entry bound), 5.25 GiB in all from a tiny file
    ByteBuffer b = ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN);
    for (int cen = centralRecord(z, 0); cen >= 0; cen = centralRecord(z, cen + 4)) {
      if (b.getShort(cen + 28) == "archive/data/0".length()) {
        b.putInt(cen + 24, 0x70000000);
      }
    }
    PortcheckException e = refuse("total.pth", z);
    assertEquals(PortcheckException.Reason.UNSAFE, e.reason());
    assertTrue(
        e.getMessage()
            .contains("4294967296 beyond the file's own length (at entry 'archive/data/2')"),
        e.getMessage());
  }

  @Test
  void duplicateEntryNamesAreRefused() throws IOException {
    byte[] z =
        zip(
            new String[] {"archive/data.pkl", "archive/data/0", "archive/data/1"},
            new byte[][] {{'.'}, {1}, {2}});
    // Rename the last entry to collide with the previous one, in the directory and local header.
    String s =
        new String(z, StandardCharsets.ISO_8859_1).replace("archive/data/1", "archive/data/0");
    PortcheckException e = refuse("dup.pth", s.getBytes(StandardCharsets.ISO_8859_1));
    assertEquals(PortcheckException.Reason.UNSAFE, e.reason());
    assertTrue(e.getMessage().contains("appears twice"), e.getMessage());
  }

  @Test
  void truncatedZipIsReportedAsTruncated() throws IOException {
    byte[] full = Files.readAllBytes(Fixtures.path("models/cnn/cnn.torchscript.pt"));
    PortcheckException e = refuse("cut.pt", Arrays.copyOf(full, full.length / 2));
    assertEquals(PortcheckException.Reason.TRUNCATED, e.reason());
    assertTrue(e.getMessage().contains("cut.pt"), e.getMessage());
  }

  @Test
  void truncatedPickleIsReportedAsTruncated() throws IOException {
    byte[] p = reducePickle("collections", "OrderedDict");
    PortcheckException e =
        refuse("short.pth", zip(new String[] {"a/data.pkl"}, new byte[][] {Arrays.copyOf(p, 10)}));
    assertEquals(PortcheckException.Reason.TRUNCATED, e.reason());
  }

  @Test
  void plainTextIsNotAPyTorchModel() throws IOException {
    Path p = dir.resolve("notes.txt");
    Files.writeString(p, "hello");
    PortcheckException e = assertThrows(PortcheckException.class, () -> importer.open(p));
    assertEquals(PortcheckException.Reason.UNSUPPORTED_FORMAT, e.reason());
    assertEquals(false, importer.canOpen(p));
  }

  /** A state_dict pickle {'w': tensor of shape [2, 2] at storage offset {@code offset}}. */
  static byte[] stateDictPickle(int offset) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(new byte[] {(byte) 0x80, 2});
    b.writeBytes("ccollections\nOrderedDict\n)R".getBytes(StandardCharsets.US_ASCII));
    b.writeBytes(new byte[] {'X', 1, 0, 0, 0, 'w'});
    b.writeBytes("ctorch._utils\n_rebuild_tensor_v2\n((".getBytes(StandardCharsets.US_ASCII));
    b.writeBytes(new byte[] {'X', 7, 0, 0, 0});
    b.writeBytes("storagectorch\nFloatStorage\n".getBytes(StandardCharsets.US_ASCII));
    b.writeBytes(new byte[] {'X', 1, 0, 0, 0, '0', 'X', 3, 0, 0, 0, 'c', 'p', 'u', 'K', 4});
    b.writeBytes(new byte[] {'t', 'Q', 'J'});
    b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(offset).array());
    b.writeBytes(new byte[] {'K', 2, 'K', 2, (byte) 0x86, 'K', 2, 'K', 1, (byte) 0x86});
    b.write(0x89);
    b.writeBytes("ccollections\nOrderedDict\n)Rt".getBytes(StandardCharsets.US_ASCII));
    b.writeBytes(new byte[] {'R', 's', '.'});
    return b.toByteArray();
  }

  @Test
  void wellFormedStateDictSeedReadsItsTensor() throws IOException {
    Path p = dir.resolve("ok.pth");
    byte[] floats =
        ByteBuffer.allocate(16)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putFloat(1)
            .putFloat(2)
            .putFloat(3)
            .putFloat(4)
            .array();
    Files.write(
        p,
        zip(
            new String[] {"archive/data.pkl", "archive/data/0"},
            new byte[][] {stateDictPickle(0), floats}));
    try (var v = importer.open(p)) {
      assertEquals(
          dev.portcheck.importers.api.Tensor.ofFloats(new long[] {2, 2}, new float[] {1, 2, 3, 4}),
          v.parameter("w"));
    }
  }

  /**
   * Found by PtParsersFuzzTest: a negative storage offset passed the bounds check and read before
   * the storage (IndexOutOfBoundsException, an internal error); it is corrupt data.
   */
  @Test
  void negativeStorageOffsetIsCorruptNotAnIndexError() throws IOException {
    Path p = dir.resolve("negative.pth");
    Files.write(
        p,
        zip(
            new String[] {"archive/data.pkl", "archive/data/0"},
            new byte[][] {stateDictPickle(-3), new byte[16]}));
    PortcheckException e =
        assertThrows(
            PortcheckException.class,
            () -> {
              try (var v = importer.open(p)) {
                v.parameter("w");
              }
            });
    assertEquals(PortcheckException.Reason.CORRUPT, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("negative.pth"), e.getMessage());
    assertTrue(e.getMessage().contains("negative storage offset -3"), e.getMessage());
  }

  /**
   * Found by PtParsersFuzzTest (crash-15bc9d57...): EMPTY_LIST, DUP, APPEND builds a list that
   * contains itself; used as a dict key, hashing it recursed until StackOverflowError. Python
   * cannot hash lists either: the key is refused as corrupt.
   */
  @Test
  void selfContainingListAsADictKeyIsCorruptNotAStackOverflow() {
    // } ] 2 a ] s . : {} ; L=[] ; L.append(L) ; {}[L] = [] ; STOP
    byte[] pkl = {(byte) 0x80, 2, '}', ']', '2', 'a', ']', 's', '.'};
    PortcheckException e =
        assertThrows(
            PortcheckException.class,
            () ->
                dev.portcheck.importers.pytorch.pickle.PtUnpickler.load(
                    Path.of("cyclic.pkl"), "data.pkl", pkl, null));
    assertEquals(PortcheckException.Reason.CORRUPT, e.reason());
    assertTrue(e.getMessage().contains("cyclic.pkl"), e.getMessage());
    assertTrue(e.getMessage().contains("cannot use as a key"), e.getMessage());
    assertTrue(e.getMessage().length() < 400, e.getMessage());
  }

  /** A zip64 locator pointing near 2^63 overflowed the bounds check and read an empty buffer. */
  @Test
  void zip64LocatorPointingPastTheFileIsCorrupt() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 + 20 + 22).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {'P', 'K', 3, 4});
    b.putInt(0x07064b50).putInt(0).putLong(Long.MAX_VALUE - 10).putInt(1);
    b.putInt(0x06054b50).putShort((short) 0).putShort((short) 0);
    b.putShort((short) 0xffff).putShort((short) 0xffff).putInt(-1).putInt(-1).putShort((short) 0);
    PortcheckException e = refuse("z64.pt", b.array());
    assertEquals(PortcheckException.Reason.CORRUPT, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("zip64"), e.getMessage());
  }

  /** A zip64 extra record longer than its extra field made the reader run off the directory. */
  @Test
  void zip64ExtraRecordOverrunningItsFieldIsRefusedNotAnIndexError() throws IOException {
    byte[] name = "archive/data.pkl".getBytes(StandardCharsets.US_ASCII);
    ByteBuffer cen = ByteBuffer.allocate(46 + name.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    cen.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0);
    cen.putShort((short) 0).putInt(0).putInt(0).putInt(-1).putInt(-1); // sizes 0xffffffff
    cen.putShort((short) name.length).putShort((short) 4).putShort((short) 0);
    cen.putShort((short) 0).putShort((short) 0).putInt(0).putInt(0).put(name);
    cen.putShort((short) 1).putShort((short) 16); // zip64 record claims 16 bytes, field has 0
    ByteBuffer all = ByteBuffer.allocate(4 + cen.capacity() + 22).order(ByteOrder.LITTLE_ENDIAN);
    all.put(new byte[] {'P', 'K', 3, 4}).put(cen.array());
    all.putInt(0x06054b50).putShort((short) 0).putShort((short) 0);
    all.putShort((short) 1).putShort((short) 1).putInt(cen.capacity()).putInt(4);
    all.putShort((short) 0);
    PortcheckException e = refuse("z64extra.pt", all.array());
    assertTrue(e.getMessage().contains("z64extra.pt"), e.getMessage());
  }

  /** The first central-directory record at or after {@code from}, or -1. */
  private static int centralRecord(byte[] z, int from) {
    for (int i = from; i + 4 <= z.length; i++) {
      if (z[i] == 'P' && z[i + 1] == 'K' && z[i + 2] == 1 && z[i + 3] == 2) {
        return i;
      }
    }
    return -1;
  }

  private static int lastCentralRecord(byte[] z) {
    for (int i = z.length - 22; i >= 0; i--) {
      if (z[i] == 'P' && z[i + 1] == 'K' && z[i + 2] == 1 && z[i + 3] == 2) {
        return i;
      }
    }
    throw new IllegalStateException("no central record");
  }
}
