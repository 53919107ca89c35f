package dev.portcheck.importers.pytorch.archive;

import dev.portcheck.importers.api.PortcheckException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A TorchScript archive or a {@code torch.save} zip checkpoint, opened defensively: entry names
 * must stay inside the archive, symlinks and duplicate names are refused, and both declared and
 * actually inflated sizes are bounded before anything is read into memory.
 *
 * <p>Both formats keep everything under one root folder whose name varies ({@code archive/}, the
 * file stem, or the original model name), so the root is found by locating {@code <root>/data.pkl}.
 */
public final class PtArchive implements AutoCloseable {
  /** Default bound on one entry (Java arrays cannot hold more anyway). */
  public static final long DEFAULT_MAX_ENTRY = (2L << 30) - 64;

  /**
   * Default bound on the sum of all declared entry sizes beyond the file's own length: what the
   * entries could inflate to. Stored entries (torch.save and torch.jit.save compress nothing) are
   * bounded by the file itself, so a 4.9 GB TorchScript archive of a 1.2 B-parameter model passes
   * and a small zip that declares gigabytes does not.
   */
  public static final long DEFAULT_MAX_TOTAL = 4L << 30;

  private final Path file;
  private final ZipFile zip;
  private final String root;
  private final long maxEntry;
  private final Map<String, PtCentralDirectory.Entry> entries;

  /** The file's length when opened: no stored entry can hold more. */
  private final long fileBytes;

  private PtArchive(
      Path file, ZipFile zip, String root, long maxEntry, Map<String, PtCentralDirectory.Entry> e) {
    this.file = file;
    this.zip = zip;
    this.root = root;
    this.maxEntry = maxEntry;
    this.entries = e;
    this.fileBytes = file.toFile().length();
  }

  /** Opens with the default size limits. */
  public static PtArchive open(Path file) {
    return open(file, DEFAULT_MAX_ENTRY, DEFAULT_MAX_TOTAL);
  }

  /**
   * Opens {@code file}, validating every central-directory entry first.
   *
   * @throws PortcheckException UNSAFE for escaping names, symlinks, duplicates or sizes beyond the
   *     limits; TRUNCATED/CORRUPT for damaged zips; CORRUPT when no {@code <root>/data.pkl} exists
   */
  public static PtArchive open(Path file, long maxEntry, long maxTotal) {
    List<PtCentralDirectory.Entry> list = PtCentralDirectory.read(file);
    Map<String, PtCentralDirectory.Entry> byName = new LinkedHashMap<>();
    long total = 0;
    long allowed = maxTotal + file.toFile().length();
    for (PtCentralDirectory.Entry e : list) {
      checkName(file, e.name());
      if (e.symlink()) {
        throw PortcheckException.unsafe(
            file,
            "zip entry '" + e.name() + "' is a symbolic link; model archives never hold links");
      }
      if (byName.putIfAbsent(e.name(), e) != null) {
        throw PortcheckException.unsafe(
            file,
            "zip entry '"
                + e.name()
                + "' appears twice; readers disagree on which copy wins, so it is refused");
      }
      if (e.size() > maxEntry) {
        throw PortcheckException.unsafe(
            file,
            "zip entry '"
                + e.name()
                + "' declares "
                + e.size()
                + " bytes, over the limit of "
                + maxEntry
                + " per entry");
      }
      total += e.size();
      if (total > allowed) {
        throw PortcheckException.unsafe(
            file,
            "zip entries declare more than "
                + allowed
                + " bytes in total, "
                + maxTotal
                + " beyond the file's own length (at entry '"
                + e.name()
                + "')");
      }
    }
    String root = findRoot(file, byName.keySet());
    ZipFile zip;
    try {
      zip = new ZipFile(file.toFile());
    } catch (ZipException e) {
      throw PortcheckException.corrupt(file, "damaged zip (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw PortcheckException.unreadable(file, e);
    }
    return new PtArchive(file, zip, root, maxEntry, Collections.unmodifiableMap(byName));
  }

  private static void checkName(Path file, String name) {
    String why = null;
    if (name.isEmpty()) {
      why = "has an empty name";
    } else if (name.startsWith("/") || name.startsWith("\\")) {
      why = "has an absolute name";
    } else if (name.indexOf('\\') >= 0) {
      // Windows extractors treat backslash as a separator, so "a\..\..\x" escapes there.
      why = "contains a backslash";
    } else if (name.length() > 1 && name.charAt(1) == ':') {
      why = "starts with a drive letter";
    } else if (name.indexOf('\0') >= 0) {
      why = "contains a NUL character";
    } else {
      for (String seg : name.split("/", -1)) {
        if (seg.equals("..")) {
          why = "contains a '..' segment that escapes the archive";
          break;
        }
      }
    }
    if (why != null) {
      throw PortcheckException.unsafe(file, "zip entry '" + name + "' " + why);
    }
  }

  private static String findRoot(Path file, Set<String> names) {
    List<String> roots = new ArrayList<>();
    for (String n : names) {
      if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
        roots.add(n.substring(0, n.length() - "data.pkl".length()));
      }
    }
    if (roots.isEmpty()) {
      if (names.contains("data.pkl")) {
        return "";
      }
      throw PortcheckException.corrupt(
          file, "zip archive without <root>/data.pkl, so neither TorchScript nor torch.save", null);
    }
    if (roots.size() > 1) {
      throw PortcheckException.corrupt(
          file, "zip archive has several root folders with data.pkl: " + roots, null);
    }
    return roots.get(0);
  }

  /** The archive file. */
  public Path file() {
    return file;
  }

  /** The root folder including its trailing slash ({@code "archive/"}), or {@code ""}. */
  public String root() {
    return root;
  }

  /** Every entry name, in central-directory order. */
  public Set<String> names() {
    return entries.keySet();
  }

  /** Whether {@code <root>/<relative>} exists. */
  public boolean has(String relative) {
    return entries.containsKey(root + relative);
  }

  /** Whether any entry lies below {@code <root>/<folder>/}. */
  public boolean hasFolder(String folder) {
    String prefix = root + folder + "/";
    return entries.keySet().stream().anyMatch(n -> n.startsWith(prefix));
  }

  /** Reads {@code <root>/<relative>}. */
  public byte[] read(String relative) {
    return readEntry(root + relative);
  }

  /** The size {@code <root>/<relative>} declares, or -1 when there is no such entry. */
  public long declaredSize(String relative) {
    PtCentralDirectory.Entry e = entries.get(root + relative);
    return e == null ? -1 : e.size();
  }

  /** Bytes copied per read by {@link #readFloats}: large enough for one system call to matter. */
  private static final int CHUNK = 1 << 20;

  /**
   * Reads {@code dst.length} little-endian float32 values starting {@code offset} bytes into {@code
   * <root>/<relative>}, through a small buffer: a parameter's values reach the float array without
   * a byte array of the whole storage first (one copy instead of two, and no garbage the size of
   * the weights).
   *
   * @throws PortcheckException CORRUPT when the range lies outside what the entry declares,
   *     TRUNCATED when the entry ends before it
   */
  public void readFloats(String relative, long offset, float[] dst) {
    String name = root + relative;
    PtCentralDirectory.Entry declared = entries.get(name);
    ZipEntry ze = zip.getEntry(name);
    if (declared == null || ze == null) {
      throw PortcheckException.corrupt(file, "missing zip entry '" + name + "'", null);
    }
    long bytes = 4L * dst.length;
    if (offset < 0 || offset > declared.size() - bytes) {
      throw PortcheckException.corrupt(
          file,
          "zip entry '"
              + name
              + "' declares "
              + declared.size()
              + " bytes; a tensor reads "
              + bytes
              + " from byte "
              + offset,
          null);
    }
    byte[] chunk = new byte[(int) Math.min(CHUNK, Math.max(4, bytes))];
    ByteBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
    try (InputStream in = zip.getInputStream(ze)) {
      in.skipNBytes(offset);
      int done = 0;
      while (done < dst.length) {
        int n = Math.min(chunk.length / 4, dst.length - done);
        if (in.readNBytes(chunk, 0, 4 * n) < 4 * n) {
          throw PortcheckException.truncated(
              file, "zip entry '" + name + "' ends before the tensor it holds");
        }
        view.clear();
        view.asFloatBuffer().get(dst, done, n);
        done += n;
      }
    } catch (IOException e) {
      throw readFailure(name, e);
    }
  }

  /**
   * Reads an entry by full name, bounding the bytes actually inflated (a deflate stream can expand
   * far beyond what the directory declares).
   */
  public byte[] readEntry(String name) {
    PtCentralDirectory.Entry declared = entries.get(name);
    ZipEntry ze = zip.getEntry(name);
    if (declared == null || ze == null) {
      throw PortcheckException.corrupt(file, "missing zip entry '" + name + "'", null);
    }
    long limit = Math.min(declared.size(), maxEntry);
    try (InputStream in = zip.getInputStream(ze)) {
      byte[] data;
      if (ze.getMethod() == ZipEntry.STORED
          && ze.getCompressedSize() == declared.size()
          && limit <= fileBytes) {
        // Stored bytes lie in the file as they are, so an array of the declared size (which the
        // file's length bounds) can be allocated up front and filled in one read; readNBytes(n)
        // gathers 8 KB chunks and copies them again, the slowest part of reading the weights.
        byte[] buf = new byte[(int) limit];
        int got = in.readNBytes(buf, 0, buf.length);
        data = got == buf.length ? buf : java.util.Arrays.copyOf(buf, got);
      } else {
        data = in.readNBytes((int) limit);
      }
      if (data.length < declared.size()) {
        throw PortcheckException.truncated(
            file,
            "zip entry '"
                + name
                + "' holds "
                + data.length
                + " bytes, its header says "
                + declared.size());
      }
      if (in.read() >= 0) {
        throw PortcheckException.unsafe(
            file,
            "zip entry '"
                + name
                + "' inflates beyond the "
                + declared.size()
                + " bytes it declares (a zip bomb or a forged header)");
      }
      return data;
    } catch (IOException e) {
      throw readFailure(name, e);
    }
  }

  /** What reading zip entry {@code name} failed with, said as the file's problem. */
  private PortcheckException readFailure(String name, IOException e) {
    if (e instanceof ZipException) {
      return PortcheckException.corrupt(
          file, "zip entry '" + name + "' is damaged (" + e.getMessage() + ")", e);
    }
    if (e instanceof java.io.EOFException) {
      return PortcheckException.truncated(file, "zip entry '" + name + "' ends early");
    }
    return PortcheckException.unreadable(file, e);
  }

  @Override
  public void close() {
    try {
      zip.close();
    } catch (IOException e) {
      // Closing a read-only zip cannot lose data; nothing to report.
    }
  }
}
