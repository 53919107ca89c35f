package dev.portcheck.cli;

import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.PortcheckException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Refuses, before anything is loaded, a set of models that cannot fit in memory here, so that a
 * too-large comparison ends with a message and exit code 2 instead of an OutOfMemoryError or the
 * kernel's OOM killer halfway through.
 *
 * <p>The estimate is a lower bound fitted below what {@code portcheck bench} measured (peak RSS of
 * the compare, loading included): ResNet-50 three ways, 292 MiB of weights, 2.9 to 3.6 GiB;
 * ViT-B/16 two ways, 660 MiB, 4.1 GiB. Each engine holds its weights more than once while it loads
 * (TensorFlow parses and imports a SavedModel's constants; ONNX Runtime parses its own copy of the
 * file next to the one portcheck reads), and the comparator reads them into the heap.
 */
public final class MemoryBudget {
  /** Bytes of memory per byte of weights on disk. */
  static final double PER_WEIGHT_BYTE = 4.0;

  /** Engines' code and arenas, the JVM and one probe's activations. */
  static final long BASE_BYTES = 1L << 30;

  private MemoryBudget() {}

  /**
   * Throws NOT_RUNNABLE when the models' estimated need exceeds {@code limit} (bytes; null for the
   * memory this machine or container has available) or the Java heap cannot hold their weights.
   *
   * @param models model files or folders
   * @param limit bytes, or null
   */
  public static void check(List<Path> models, Long limit) {
    long weights = 0;
    for (Path p : models) {
      weights += modelBytes(p);
    }
    long need = estimate(weights);
    long available = limit != null ? limit : available();
    if (available > 0 && need > available) {
      throw PortcheckException.of(
          PortcheckException.Reason.NOT_RUNNABLE,
          String.format(
              Locale.ROOT,
              "these %d model(s) hold %s of weights and need at least %s of memory to compare"
                  + " (engines keep their own copies, plus one probe's activations); %s %s."
                  + " Compare fewer models at a time, free memory, or raise the limit with"
                  + " --max-memory.",
              models.size(),
              human(weights),
              human(need),
              limit != null ? "--max-memory allows" : "this machine has",
              human(available) + (limit != null ? "" : " available")),
          null);
    }
    long heap = Runtime.getRuntime().maxMemory();
    // The comparator reads every parameter into the heap (one copy, plus a transposed one for
    // channels-last kernels); activations of one probe come on top.
    long heapNeed = weights + weights / 2;
    if (heap != Long.MAX_VALUE && heapNeed > heap) {
      throw PortcheckException.of(
          PortcheckException.Reason.NOT_RUNNABLE,
          String.format(
              Locale.ROOT,
              "the Java heap (%s) cannot hold these models' %s of weights; start portcheck with a"
                  + " larger heap, e.g. PORTCHECK_JAVA_OPTS=-Xmx%dg ./portcheck ...",
              human(heap),
              human(weights),
              Math.max(2, (long) Math.ceil(2.0 * heapNeed / (1L << 30)))),
          null);
    }
  }

  /** The lower bound of peak memory for models holding {@code weightBytes} in all. */
  static long estimate(long weightBytes) {
    return (long) (PER_WEIGHT_BYTE * weightBytes) + BASE_BYTES;
  }

  /**
   * Bytes of a model as stored: its file, or every regular file under its folder, plus the files it
   * refers to (ONNX external data, which holds nearly all the weights of a model over 2 GB).
   *
   * @param p a model file or folder
   * @return bytes, 0 when unreadable (the importer then reports it)
   */
  public static long modelBytes(Path p) {
    long bytes = diskBytes(p);
    try {
      bytes += Importers.forPath(p).referencedBytes(p);
    } catch (RuntimeException e) {
      // no importer reads it: opening it reports that
    }
    return bytes;
  }

  /** Bytes of a model file, or of every regular file under a model folder (links not followed). */
  static long diskBytes(Path p) {
    try {
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        try (Stream<Path> all = Files.walk(p)) {
          return all.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
              .mapToLong(MemoryBudget::sizeOrZero)
              .sum();
        }
      }
      return Files.isRegularFile(p) ? Files.size(p) : 0;
    } catch (IOException | RuntimeException e) {
      return 0; // the importer reports unreadable models with a better message
    }
  }

  private static long sizeOrZero(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Memory this process may still use: MemAvailable from {@code /proc/meminfo}, capped by a cgroup
   * (container) limit when one is set; 0 when neither can be read (no refusal then).
   */
  static long available() {
    long avail = meminfo("MemAvailable:");
    long cgroup = cgroupRemaining();
    if (cgroup > 0 && (avail <= 0 || cgroup < avail)) {
      return cgroup;
    }
    return Math.max(avail, 0);
  }

  private static long meminfo(String key) {
    return Math.max(0, procBytes(Path.of("/proc/meminfo"), key));
  }

  /**
   * A "Key: N kB" field of a Linux /proc file (meminfo, self/status) in bytes, or -1 when the file
   * or the field cannot be read (not Linux).
   *
   * @param file e.g. {@code /proc/self/status}
   * @param key e.g. {@code "VmHWM:"}
   * @return bytes, or -1
   */
  public static long procBytes(Path file, String key) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: no figure rather than a wrong one
    }
    return -1;
  }

  private static long cgroupRemaining() {
    try {
      Path max = Path.of("/sys/fs/cgroup/memory.max");
      Path current = Path.of("/sys/fs/cgroup/memory.current");
      if (Files.isReadable(max) && Files.isReadable(current)) {
        String m = Files.readString(max).trim();
        if (m.equals("max")) {
          return 0;
        }
        return Long.parseLong(m) - Long.parseLong(Files.readString(current).trim());
      }
    } catch (IOException | RuntimeException e) {
      // cgroup v1 or no cgroup: MemAvailable decides
    }
    return 0;
  }

  /** 1.5 GiB, 300 MiB, 12 KiB. */
  static String human(long bytes) {
    if (bytes >= (1L << 30)) {
      return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
    if (bytes >= (1L << 20)) {
      return String.format(Locale.ROOT, "%.0f MiB", bytes / (double) (1L << 20));
    }
    return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
  }
}
