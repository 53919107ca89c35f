package dev.portcheck.cli;

import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.ParameterInfo;
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
 * <p>The estimate of the process's memory is a lower bound fitted below what {@code portcheck
 * bench} measured (peak RSS of the compare, loading included): ResNet-50 three ways, 292 MiB of
 * weights, 2.9 to 3.6 GiB; ViT-B/16 two ways, 660 MiB, 4.1 GiB. Each engine holds its weights more
 * than once while it loads (TensorFlow parses and imports a SavedModel's constants; ONNX Runtime
 * parses its own copy of the file next to the one portcheck reads).
 *
 * <p>The Java heap is checked separately ({@link #heapNeed}): the comparator keeps no copy of the
 * weights (it fingerprints each parameter as it reads it and reads again, one parameter at a time,
 * what a check needs), so the heap holds what the importers keep and what loading passes through,
 * and once the models are open, a few copies of the largest parameter ({@link #checkParameters}).
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
      weights += diskBytes(p);
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
    long heapNeed = heapNeed(models);
    if (heap != Long.MAX_VALUE && heapNeed > heap) {
      throw PortcheckException.of(
          PortcheckException.Reason.NOT_RUNNABLE,
          String.format(
              Locale.ROOT,
              "the Java heap (%s) cannot load these models (%s of weights; loading and comparing"
                  + " them needs %s of heap); start portcheck with a larger heap, e.g."
                  + " PORTCHECK_JAVA_OPTS=-Xmx%dg ./portcheck ...",
              human(heap),
              human(weights),
              human(heapNeed),
              Math.max(2, (long) Math.ceil(1.5 * heapNeed / (1L << 30)))),
          null);
    }
  }

  /**
   * Copies of one parameter that may be in the heap at once while the comparator checks it: the
   * value read and its canonical (transposed) form on one side, the other side's, a rearranged
   * candidate being tried (an H/W swap, a transpose, a Flatten's column order) and, for a matrix
   * whose values differ, both sides' values once more while its columns are matched.
   */
  static final int PARAMETER_COPIES = 6;

  /**
   * Heap for the comparator besides the models' parameters: the recent canonical copies it keeps
   * for reuse (64 MiB per model at most), summaries and one probe's bookkeeping.
   */
  static final long COMPARATOR_BYTES = 256L << 20;

  /**
   * Refuses, once the models are open and their parameters' shapes known, models whose largest
   * parameter the heap cannot hold the few copies of that checking it takes ({@link
   * #PARAMETER_COPIES}), next to the ONNX models the heap keeps.
   *
   * @param models the open models
   * @param paths their files, in the same order
   */
  public static void checkParameters(List<ModelView> models, List<Path> paths) {
    long largest = 0;
    String which = null;
    for (ModelView m : models) {
      for (ParameterInfo p : m.parameters().values()) {
        // Values reach the heap as float32 whatever type they are stored in.
        long bytes = 4L * p.elementCount();
        if (bytes > largest) {
          largest = bytes;
          which = "'" + p.name() + "' of " + m.source();
        }
      }
    }
    long need = held(paths) + PARAMETER_COPIES * largest + COMPARATOR_BYTES;
    long heap = Runtime.getRuntime().maxMemory();
    if (heap != Long.MAX_VALUE && need > heap) {
      throw PortcheckException.of(
          PortcheckException.Reason.NOT_RUNNABLE,
          String.format(
              Locale.ROOT,
              "the Java heap (%s) cannot check parameter %s (%s as float32, read %d times over"
                  + " while it is compared; %s of heap needed in all); start portcheck with a"
                  + " larger heap, e.g. PORTCHECK_JAVA_OPTS=-Xmx%dg ./portcheck ...",
              human(heap),
              which,
              human(largest),
              PARAMETER_COPIES,
              human(need),
              Math.max(2, (long) Math.ceil(1.5 * need / (1L << 30)))),
          null);
    }
  }

  /**
   * The Java heap that opening {@code models} one after another and comparing them needs, known
   * before they are loaded: what the importers keep ({@link #held}), the most that loading one
   * model passes through on top, and {@link #COMPARATOR_BYTES}. Loading passes an ONNX file through
   * the heap once more (read whole, then parsed) and a SavedModel about twice (its variables read
   * into protos, then the graph with them as constants serialised for TensorFlow); a TorchScript or
   * torch.save file only its pickled structure, its storages being read on demand. The parameters
   * compared later are checked by {@link #checkParameters} once their shapes are known.
   */
  static long heapNeed(List<Path> models) {
    long loading = 0;
    for (Path p : models) {
      long b = diskBytes(p);
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        loading = Math.max(loading, 2 * b);
      } else if (isOnnx(p)) {
        loading = Math.max(loading, b);
      }
    }
    return held(models) + loading + COMPARATOR_BYTES;
  }

  /**
   * Heap the importers keep while the models are open: an ONNX file's parsed model (its inline
   * weights; external data is read per parameter), from which sessions with extra outputs are
   * built. The other importers keep weights in their engines only.
   */
  static long held(List<Path> models) {
    long held = 0;
    for (Path p : models) {
      if (isOnnx(p)) {
        held += diskBytes(p);
      }
    }
    return held;
  }

  private static boolean isOnnx(Path p) {
    Path name = p.getFileName();
    return name != null
        && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
        && name.toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
  }

  /** The lower bound of peak memory for models holding {@code weightBytes} in all. */
  static long estimate(long weightBytes) {
    return (long) (PER_WEIGHT_BYTE * weightBytes) + BASE_BYTES;
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
