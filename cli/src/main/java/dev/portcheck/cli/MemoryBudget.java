package dev.portcheck.cli;

import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelImporter;
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
 * <p>The estimate is fitted below the peak RSS of {@code portcheck compare} as a whole process
 * ({@code portcheck bench --compare-set}), per format, because the engines differ by more than a
 * factor of three: each engine holds its weights more than once while it loads (TensorFlow parses
 * and imports a SavedModel's constants: {@code inspect} alone peaks at 7 × the SavedModel's bytes;
 * ONNX Runtime parses its own copy of a file next to the one portcheck parses: 4 ×; libtorch and
 * ONNX external data files are read once), and the engines' run buffers come on top; the comparator
 * holds no weights. Measured (issue 15's closing note): ResNet-50 three ways, 292 MiB, 1.83 GiB
 * (estimate 2.06: the fixed 1 GiB is generous for small models); BERT-base three ways, 1.23 GiB,
 * 5.4 to 5.8 GiB (5.6); GPT-2-medium three ways, 4.4 GiB, 19.7 GiB (16.7); GPT-2 with 1.2 B
 * parameters, TorchScript and ONNX with external data, 9.1 GiB, 11.5 GiB (11.0).
 *
 * <p>The Java heap is checked separately ({@link #heapNeed}): the comparator keeps no copy of the
 * weights (it fingerprints each parameter as it reads it and reads again, one parameter at a time,
 * what a check needs), so the heap holds what the importers keep and what loading passes through,
 * and once the models are open, a few copies of the largest parameter ({@link #checkParameters}).
 */
public final class MemoryBudget {
  /** Bytes of memory per byte of a TensorFlow SavedModel or GraphDef on disk. */
  static final double PER_TENSORFLOW_BYTE = 6.0;

  /** Bytes of memory per byte of an ONNX file (weights inside the protobuf). */
  static final double PER_ONNX_BYTE = 4.0;

  /** Bytes of memory per byte of a PyTorch file (TorchScript, state_dict). */
  static final double PER_PYTORCH_BYTE = 1.1;

  /** Bytes of memory per byte of ONNX external data, which ONNX Runtime reads once. */
  static final double PER_EXTERNAL_BYTE = 1.1;

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
                  + " (engines parse and keep their own copies: about 6 x a SavedModel's bytes,"
                  + " 4 x an ONNX file's, 1.1 x a PyTorch file's; plus one probe's activations);"
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
    long heapNeed = heapNeed(models);
    requireHeap(
        heapNeed,
        String.format(
            Locale.ROOT,
            "load these models (%s of weights; loading and comparing them needs %s of heap)",
            human(weights),
            human(heapNeed)));
  }

  /**
   * Refuses when the Java heap is smaller than {@code need}: "the Java heap (…) cannot {@code
   * what}", and the {@code -Xmx} to start portcheck with.
   */
  private static void requireHeap(long need, String what) {
    long heap = Runtime.getRuntime().maxMemory();
    if (heap != Long.MAX_VALUE && need > heap) {
      throw PortcheckException.of(
          PortcheckException.Reason.NOT_RUNNABLE,
          String.format(
              Locale.ROOT,
              "the Java heap (%s) cannot %s; start portcheck with a larger heap, e.g."
                  + " PORTCHECK_JAVA_OPTS=-Xmx%dg ./portcheck ...",
              human(heap),
              what,
              Math.max(2, (long) Math.ceil(1.5 * need / (1L << 30)))),
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
    requireHeap(
        need,
        String.format(
            Locale.ROOT,
            "check parameter %s (%s as float32, read %d times over while it is compared; %s of"
                + " heap needed in all)",
            which,
            human(largest),
            PARAMETER_COPIES,
            human(need)));
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
