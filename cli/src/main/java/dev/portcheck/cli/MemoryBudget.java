package dev.portcheck.cli;

import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelImporter;
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
 * <p>The estimate is fitted to the peak RSS of {@code portcheck compare} as a whole process ({@code
 * portcheck bench --compare-set}), per format, because the engines differ by more than a factor of
 * three: each engine holds its weights more than once while it loads (TensorFlow parses and imports
 * a SavedModel's constants: {@code inspect} alone peaks at 7 × the SavedModel's bytes; ONNX Runtime
 * parses its own copy of a file next to the one portcheck parses: 4 ×; libtorch and ONNX external
 * data files are read once), and the comparator reads them into the heap. Measured: ResNet-50 three
 * ways, 292 MiB, 2.05 to 2.28 GiB (estimate 2.3); BERT-base three ways, 1.2 GiB, 5.6 to 7.0 GiB
 * (estimate 6.3); GPT-2-medium three ways, 4.4 GiB, 19.4 GiB (19.4); GPT-2 with 1.2 B parameters,
 * TorchScript and ONNX with external data, 9.1 GiB, 16.2 GiB (16.9).
 */
public final class MemoryBudget {
  /** Bytes of memory per byte of a TensorFlow SavedModel or GraphDef on disk. */
  static final double PER_TENSORFLOW_BYTE = 7.0;

  /** Bytes of memory per byte of an ONNX file (weights inside the protobuf). */
  static final double PER_ONNX_BYTE = 4.0;

  /** Bytes of memory per byte of a PyTorch file (TorchScript, state_dict). */
  static final double PER_PYTORCH_BYTE = 2.0;

  /** Bytes of memory per byte of ONNX external data, which ONNX Runtime reads once. */
  static final double PER_EXTERNAL_BYTE = 1.5;

  /** For a file no importer recognises (opening it fails before anything is loaded). */
  static final double PER_UNKNOWN_BYTE = 4.0;

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
    long need = BASE_BYTES;
    for (Path p : models) {
      Footprint f = footprint(p);
      weights += f.bytes();
      need += f.need();
    }
    long available = limit != null ? limit : available();
    if (available > 0 && need > available) {
      throw PortcheckException.of(
          PortcheckException.Reason.NOT_RUNNABLE,
          String.format(
              Locale.ROOT,
              "these %d model(s) hold %s of weights and need at least %s of memory to compare"
                  + " (engines parse and keep their own copies: about 7 x a SavedModel's bytes,"
                  + " 4 x an ONNX file's, 2 x a PyTorch file's; plus one probe's activations);"
                  + " %s %s."
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

  /**
   * A model's bytes as stored, and the memory its engine and the comparator need for them.
   *
   * @param bytes the model's own file or folder plus the files it refers to
   * @param need the estimated memory, bytes
   */
  record Footprint(long bytes, long need) {}

  /** The model at {@code p}: its bytes, weighted by what its engine makes of them. */
  static Footprint footprint(Path p) {
    long own = diskBytes(p);
    long external = 0;
    double perByte = PER_UNKNOWN_BYTE;
    try {
      ModelImporter importer = Importers.forPath(p);
      external = importer.referencedBytes(p);
      perByte =
          switch (importer.framework()) {
            case TENSORFLOW -> PER_TENSORFLOW_BYTE;
            case ONNX -> PER_ONNX_BYTE;
            case PYTORCH -> PER_PYTORCH_BYTE;
          };
    } catch (RuntimeException e) {
      // no importer reads it: opening it reports that
    }
    return new Footprint(own + external, (long) (perByte * own + PER_EXTERNAL_BYTE * external));
  }

  /**
   * Bytes of a model as stored: its file, or every regular file under its folder, plus the files it
   * refers to (ONNX external data, which holds nearly all the weights of a model over 2 GB).
   *
   * @param p a model file or folder
   * @return bytes, 0 when unreadable (the importer then reports it)
   */
  public static long modelBytes(Path p) {
    return footprint(p).bytes();
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
