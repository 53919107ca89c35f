package dev.portcheck.importers.api;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that a reader (or a killed writer) never sees half of one: the content goes to a
 * temporary file in the same folder, which is flushed to disk and then renamed over the target in
 * one step. Until that rename the old file is untouched, so a {@code snapshot -o baseline.json}
 * killed in the middle leaves the previous baseline as it was.
 *
 * <p>The rename is atomic ({@link StandardCopyOption#ATOMIC_MOVE}) wherever the file system
 * supports it, which is every local POSIX file system since the temporary file sits beside the
 * target; elsewhere it falls back to a plain replacing move. A target that is a symbolic link is
 * written through: the file it points to is replaced and the link stays (a dangling link is
 * replaced). A replaced file keeps its POSIX permissions; a new one gets the process's default
 * (umask) like any file it creates.
 */
public final class AtomicFiles {
  /** What to write: called once with a stream into the temporary file. */
  @FunctionalInterface
  public interface Content {
    /**
     * Writes the whole content; the stream is closed by the caller.
     *
     * @param out the temporary file
     * @throws IOException to abandon the write (the target is left as it was)
     */
    void writeTo(OutputStream out) throws IOException;
  }

  private AtomicFiles() {}

  /**
   * Replaces {@code file} with {@code text} in UTF-8, atomically.
   *
   * @param file the file to replace (or create)
   * @param text its new content
   * @throws IOException if the folder cannot be created or written; the target is left as it was
   */
  public static void writeString(Path file, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    write(file, out -> out.write(bytes));
  }

  /**
   * Replaces {@code file} with what {@code content} writes, atomically; missing parent folders are
   * created. If anything fails (including {@code content}), the temporary file is removed and the
   * target is left as it was.
   *
   * @param file the file to replace (or create)
   * @param content writes the new content
   * @throws IOException from the file system or from {@code content}
   */
  public static void write(Path file, Content content) throws IOException {
    Path target = file.toAbsolutePath();
    if (Files.isSymbolicLink(target) && Files.exists(target)) {
      target = target.toRealPath();
    }
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path tmp = createBeside(target);
    boolean done = false;
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
          OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16)) {
        content.writeTo(out);
        out.flush();
        // On disk before the rename: after a crash the target is the old file or the whole new
        // one, never a renamed empty file whose data was still in the page cache.
        ch.force(true);
      }
      keepPermissions(target, tmp);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /**
   * A new empty file {@code .NAME.RANDOM.tmp} beside {@code target}: hidden, named after what it
   * will become (so one left by a killed process says what it was), created with the default
   * permissions (unlike {@link Files#createTempFile}, which makes it private to the owner).
   */
  private static Path createBeside(Path target) throws IOException {
    String name = target.getFileName().toString();
    for (int attempt = 0; ; attempt++) {
      String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
      Path tmp = target.resolveSibling("." + name + "." + suffix + ".tmp");
      try {
        return Files.createFile(tmp);
      } catch (FileAlreadyExistsException e) {
        if (attempt == 100) {
          throw e;
        }
      }
    }
  }

  private static void keepPermissions(Path target, Path tmp) {
    PosixFileAttributeView old = Files.getFileAttributeView(target, PosixFileAttributeView.class);
    if (old == null || !Files.exists(target)) {
      return;
    }
    try {
      Files.setPosixFilePermissions(tmp, old.readAttributes().permissions());
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      // The new content matters more than its mode: keep the default permissions.
    }
  }
}
