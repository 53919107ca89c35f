package dev.portcheck.importers.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Temporary files that do not outlive the JVM: each is deleted by its owner as soon as it is no
 * longer needed, and whatever is still live when the JVM shuts down (Ctrl-C, SIGTERM, {@code
 * System.exit}) is deleted by one shutdown hook. Unlike {@link java.io.File#deleteOnExit()}, a file
 * deleted normally is forgotten, so a long run that creates thousands does not grow a list.
 *
 * <p>A process killed outright (SIGKILL, the OOM killer) runs no hook, so each name carries the
 * creating process's id ({@code portcheck-pt-4711-…}), and the first file a process creates first
 * deletes those of processes that are gone.
 */
public final class TempFiles {
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
  private static volatile boolean shuttingDown;

  static {
    try {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(TempFiles::deleteAll, "portcheck-temp-files-cleanup"));
    } catch (IllegalStateException e) {
      // First used while the JVM is already shutting down: create() refuses from now on.
      shuttingDown = true;
    }
  }

  private TempFiles() {}

  /**
   * Creates an empty temporary file in {@code java.io.tmpdir}, registered for deletion at shutdown.
   *
   * @throws IOException if it cannot be created, or the JVM is shutting down
   */
  public static Path create(String prefix, String suffix) throws IOException {
    if (shuttingDown) {
      throw new IOException("the JVM is shutting down; no temporary file is created");
    }
    sweepOnce();
    Path p = Files.createTempFile(prefix + PID + "-", suffix);
    LIVE.add(p);
    if (shuttingDown) {
      // The hook may have run between the check and the add: do its work for this file.
      delete(p);
      throw new IOException("the JVM is shutting down; no temporary file is created");
    }
    return p;
  }

  /** Deletes {@code p} now; if that fails it stays registered and is retried at shutdown. */
  public static void delete(Path p) {
    if (p == null) {
      return;
    }
    try {
      Files.deleteIfExists(p);
      LIVE.remove(p);
    } catch (IOException e) {
      // Left registered: the shutdown hook tries again.
    }
  }

  private static final long PID = ProcessHandle.current().pid();
  private static final java.util.regex.Pattern OURS =
      java.util.regex.Pattern.compile("portcheck-[a-z]+-(\\d+)-.*");
  private static volatile boolean swept;

  private static void sweepOnce() {
    if (!swept) {
      swept = true;
      sweep(Path.of(System.getProperty("java.io.tmpdir")));
    }
  }

  /**
   * Deletes, in {@code dir}, the temporary files left by portcheck processes that no longer run
   * (their name's process id is not alive). Files of a live process are kept, whoever it is.
   *
   * @return how many were deleted
   */
  static int sweep(Path dir) {
    int deleted = 0;
    try (var files = Files.newDirectoryStream(dir, "portcheck-*")) {
      for (Path f : files) {
        var m = OURS.matcher(f.getFileName().toString());
        try {
          if (m.matches()
              && Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)
              && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()
              && Files.deleteIfExists(f)) {
            deleted++;
          }
        } catch (IOException | RuntimeException e) {
          // Removed by another process first, not ours to delete, or no process id: skipped.
        }
      }
    } catch (IOException | RuntimeException e) {
      // A temp folder that cannot be listed: nothing to sweep.
    }
    return deleted;
  }

  /** How many temporary files are live (created and not yet deleted). */
  public static int live() {
    return LIVE.size();
  }

  private static void deleteAll() {
    shuttingDown = true;
    for (Path p : LIVE) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException | RuntimeException e) {
        // Nothing more can be done during shutdown.
      }
    }
    LIVE.clear();
  }
}
