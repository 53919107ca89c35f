package dev.portcheck.importers.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Reads the first bytes of a file so importers can recognise formats by content. */
public final class FileSniffer {
  private FileSniffer() {}

  /** Up to {@code n} leading bytes, or an empty array if the file cannot be read. */
  public static byte[] head(Path path, int n) {
    if (!Files.isRegularFile(path)) {
      return new byte[0];
    }
    try (InputStream in = Files.newInputStream(path)) {
      return in.readNBytes(n);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  /** Whether the file starts with a zip local-file header ({@code PK\3\4}). */
  public static boolean isZip(Path path) {
    byte[] h = head(path, 4);
    return Arrays.equals(h, new byte[] {'P', 'K', 3, 4});
  }

  /** Whether the file starts with a pickle protocol-2+ header ({@code \x80 N}). */
  public static boolean isPickle(Path path) {
    byte[] h = head(path, 2);
    return h.length == 2 && (h[0] & 0xff) == 0x80 && h[1] >= 2 && h[1] <= 5;
  }
}
