package dev.portcheck.importers.pytorch.archive;

import dev.portcheck.importers.api.PortcheckException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a zip's central directory by hand. {@link java.util.zip.ZipFile} hides the "version made
 * by" and external attributes, which are the only place a zip marks an entry as a unix symlink, and
 * it silently keeps one of two entries with the same name; both matter for untrusted archives.
 */
final class PtCentralDirectory {
  private static final int EOCD_SIG = 0x06054b50;
  private static final int EOCD64_LOCATOR_SIG = 0x07064b50;
  private static final int EOCD64_SIG = 0x06064b50;
  private static final int CEN_SIG = 0x02014b50;
  private static final int UNIX_HOST = 3;
  private static final int S_IFMT = 0170000;
  private static final int S_IFLNK = 0120000;

  /** One central-directory record. */
  record Entry(String name, long compressedSize, long size, boolean symlink) {}

  private PtCentralDirectory() {}

  static List<Entry> read(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long len = ch.size();
      if (len < 22) {
        throw PortcheckException.truncated(file, "only " + len + " bytes, no zip directory");
      }
      int tail = (int) Math.min(len, 22 + 65535);
      ByteBuffer end = readAt(ch, len - tail, tail);
      int eocd = -1;
      for (int i = tail - 22; i >= 0; i--) {
        if (end.getInt(i) == EOCD_SIG) {
          eocd = i;
          break;
        }
      }
      if (eocd < 0) {
        throw PortcheckException.truncated(
            file, "the zip end-of-directory record is missing (the archive was cut short)");
      }
      long count = Short.toUnsignedInt(end.getShort(eocd + 10));
      long cdSize = Integer.toUnsignedLong(end.getInt(eocd + 12));
      long cdOffset = Integer.toUnsignedLong(end.getInt(eocd + 16));
      if ((count == 0xffff || cdOffset == 0xffffffffL || cdSize == 0xffffffffL) && eocd >= 20) {
        // Zip64: torch.save switches to it for large checkpoints.
        if (end.getInt(eocd - 20) == EOCD64_LOCATOR_SIG) {
          long eocd64 = end.getLong(eocd - 20 + 8);
          if (eocd64 < 0 || eocd64 > len - 56) {
            throw PortcheckException.corrupt(file, "zip64 directory locator points outside", null);
          }
          ByteBuffer z = readAt(ch, eocd64, 56);
          if (z.getInt(0) != EOCD64_SIG) {
            throw PortcheckException.corrupt(file, "zip64 end record missing", null);
          }
          count = z.getLong(32);
          cdSize = z.getLong(40);
          cdOffset = z.getLong(48);
        }
      }
      if (cdOffset < 0 || cdSize < 0 || cdOffset > len - cdSize || cdSize > Integer.MAX_VALUE) {
        throw PortcheckException.truncated(
            file, "the zip directory lies beyond the end of the file (" + len + " bytes)");
      }
      ByteBuffer cd = readAt(ch, cdOffset, (int) cdSize);
      List<Entry> entries = new ArrayList<>();
      int p = 0;
      for (long i = 0; i < count; i++) {
        if (p + 46 > cd.limit() || cd.getInt(p) != CEN_SIG) {
          throw PortcheckException.corrupt(file, "zip directory record " + i + " is damaged", null);
        }
        int madeBy = Short.toUnsignedInt(cd.getShort(p + 4));
        long csize = Integer.toUnsignedLong(cd.getInt(p + 20));
        long usize = Integer.toUnsignedLong(cd.getInt(p + 24));
        int nameLen = Short.toUnsignedInt(cd.getShort(p + 28));
        int extraLen = Short.toUnsignedInt(cd.getShort(p + 30));
        int commentLen = Short.toUnsignedInt(cd.getShort(p + 32));
        long external = Integer.toUnsignedLong(cd.getInt(p + 38));
        int next = p + 46 + nameLen + extraLen + commentLen;
        if (next > cd.limit()) {
          throw PortcheckException.corrupt(file, "zip directory record " + i + " overruns", null);
        }
        byte[] nb = new byte[nameLen];
        cd.get(p + 46, nb);
        String name = new String(nb, StandardCharsets.UTF_8);
        if (usize == 0xffffffffL || csize == 0xffffffffL) {
          long[] z64 = zip64Sizes(cd, p + 46 + nameLen, extraLen, usize, csize);
          usize = z64[0];
          csize = z64[1];
        }
        boolean symlink = (madeBy >>> 8) == UNIX_HOST && ((external >>> 16) & S_IFMT) == S_IFLNK;
        entries.add(new Entry(name, csize, usize, symlink));
        p = next;
      }
      return entries;
    } catch (IOException e) {
      throw PortcheckException.unreadable(file, e);
    }
  }

  private static long[] zip64Sizes(ByteBuffer cd, int at, int len, long usize, long csize) {
    int p = at;
    while (p + 4 <= at + len) {
      int id = Short.toUnsignedInt(cd.getShort(p));
      int sz = Short.toUnsignedInt(cd.getShort(p + 2));
      if (id == 0x0001) {
        int q = p + 4;
        // The record's declared size may overrun the extra field; never read past either.
        int end = Math.min(p + 4 + sz, at + len);
        if (usize == 0xffffffffL && q + 8 <= end) {
          usize = cd.getLong(q);
          q += 8;
        }
        if (csize == 0xffffffffL && q + 8 <= end) {
          csize = cd.getLong(q);
        }
        break;
      }
      p += 4 + sz;
    }
    // A negative long here means a size beyond 2^63: treat it as "too large" downstream.
    return new long[] {usize < 0 ? Long.MAX_VALUE : usize, csize < 0 ? Long.MAX_VALUE : csize};
  }

  private static ByteBuffer readAt(FileChannel ch, long pos, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, pos + b.position()) < 0) {
        break;
      }
    }
    b.flip();
    return b.order(ByteOrder.LITTLE_ENDIAN);
  }
}
