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

  private static int lastCentralRecord(byte[] z) {
    for (int i = z.length - 22; i >= 0; i--) {
      if (z[i] == 'P' && z[i + 1] == 'K' && z[i + 2] == 1 && z[i + 3] == 2) {
        return i;
      }
    }
    throw new IllegalStateException("no central record");
  }
}
